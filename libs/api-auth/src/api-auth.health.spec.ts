import { HEALTH_INDICATOR_SERVICE } from '@gatekeeper/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { API_KEY_STORAGE } from './api-auth.constants';
import { ApiAuthHealthIndicator } from './api-auth.health';
import { MemoryApiKeyStorage } from './storage/memory.storage';

describe('ApiAuthHealthIndicator', () => {
  let storage: MemoryApiKeyStorage;
  let indicator: ApiAuthHealthIndicator;

  beforeEach(async () => {
    storage = new MemoryApiKeyStorage();
    const moduleRef = await Test.createTestingModule({
      providers: [
        ApiAuthHealthIndicator,
        { provide: API_KEY_STORAGE, useValue: storage },
        { provide: HEALTH_INDICATOR_SERVICE, useClass: HealthIndicatorService },
      ],
    }).compile();
    indicator = moduleRef.get(ApiAuthHealthIndicator);
  });

  it('is up when the storage answers', async () => {
    await expect(indicator.isHealthy()).resolves.toEqual({ api_auth: { status: 'up' } });
    await expect(indicator.isHealthy('keys')).resolves.toEqual({ keys: { status: 'up' } });
  });

  it('is down, without throwing, when the storage says it is unhealthy', async () => {
    jest.spyOn(storage, 'healthCheck').mockResolvedValue(false);
    await expect(indicator.isHealthy()).resolves.toEqual({
      api_auth: { status: 'down', reason: 'storage is unreachable' },
    });
  });

  it('is down when a misbehaving storage throws, with credentials scrubbed', async () => {
    jest
      .spyOn(storage, 'healthCheck')
      .mockRejectedValue(new Error('connect redis://app:hunter2@cache failed'));
    const result = await indicator.isHealthy();
    expect(result.api_auth.status).toBe('down');
    expect(JSON.stringify(result)).toContain('app:***@cache');
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('is down when the storage does not answer within the timeout', async () => {
    jest.spyOn(storage, 'healthCheck').mockReturnValue(new Promise<boolean>(() => undefined));
    await expect(indicator.isHealthy('api_auth', { timeout: 20 })).resolves.toEqual({
      api_auth: { status: 'down', reason: 'storage did not answer within 20 ms' },
    });
  });
});
