import { ApiAuthModule, ApiKeyGuard, ApiKeyService } from '@gatekeeper/api-auth';
import {
  FeatureFlag,
  FeatureFlagsModule,
  FEATURE_FLAG_STORAGE,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { Controller, Get, Header, type INestApplication, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { register } from 'prom-client';
import request from 'supertest';
import { testUrls, uniqueName } from './harness/servers';
import { sample } from './support/prometheus';

@Controller()
class MetricsTestController {
  @Get('beta')
  @FeatureFlag('beta')
  beta() {
    return { ok: true };
  }

  @Get('private')
  @UseGuards(ApiKeyGuard)
  private() {
    return { ok: true };
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics() {
    return register.metrics();
  }
}

describe('metrics: true (Prometheus, prom-client default registry)', () => {
  let app: INestApplication;
  let key: string;

  beforeAll(async () => {
    register.clear();
    const redisUrl = testUrls().redis;
    const module = await Test.createTestingModule({
      imports: [
        FeatureFlagsModule.forRoot({
          backend: 'redis',
          redisUrl,
          redisPrefix: `${uniqueName('metrics-ff')}:`,
          localCache: { ttl: 30 },
          contextResolver: (req: { headers: Record<string, string> }) => ({
            userId: req.headers['x-user'],
          }),
          metrics: true,
        }),
        ApiAuthModule.forRoot({
          backend: 'redis',
          redisUrl,
          redisPrefix: `${uniqueName('metrics-keys')}:`,
          localCache: { ttl: 5 },
          metrics: true,
        }),
      ],
      controllers: [MetricsTestController],
    }).compile();
    app = module.createNestApplication();
    await app.init();
    const flags = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    await flags.createFlag({
      key: 'beta',
      rules: [
        {
          name: 'staff',
          conditions: [{ attribute: 'userId', operator: 'in', value: ['staff-1'] }],
          serveEnabled: true,
        },
      ],
    });
    ({ key } = await app
      .get(ApiKeyService)
      .create({ name: 'scraper', ownerId: 'user-secret-id', scopes: [] }));
  });

  afterAll(async () => {
    await app?.close();
    register.clear();
  });

  it('counts evaluations, verifications, storage calls and cache lookups with bounded labels', async () => {
    const http = () => request(app.getHttpServer());
    await http().get('/beta').set('x-user', 'staff-1').expect(200);
    await http().get('/beta').set('x-user', 'staff-1').expect(200);
    await http().get('/beta').set('x-user', 'someone').expect(404);
    await http().get('/private').set('x-api-key', key).expect(200);
    await http().get('/private').set('x-api-key', key).expect(200);
    await http().get('/private').set('x-api-key', 'sk_not-a-key').expect(401);
    await http().get('/private').expect(401);

    const text = (await http().get('/metrics').expect(200)).text;

    expect(
      sample(text, 'gatekeeper_flag_evaluations_total', {
        flag: 'beta',
        reason: 'TARGETING_MATCH',
        variant: 'staff',
      }),
    ).toBe(2);
    expect(
      sample(text, 'gatekeeper_flag_evaluations_total', { flag: 'beta', reason: 'STATIC' }),
    ).toBe(1);
    expect(sample(text, 'gatekeeper_api_key_verifications_total', { result: 'ok' })).toBe(2);
    expect(
      sample(text, 'gatekeeper_api_key_verifications_total', { result: 'invalid_api_key' }),
    ).toBe(1);
    expect(
      sample(text, 'gatekeeper_api_key_verifications_total', { result: 'missing_api_key' }),
    ).toBe(1);

    // The first flag lookup and the first key lookup went to Redis; the later ones were hits.
    expect(
      sample(text, 'gatekeeper_cache_requests_total', { module: 'feature_flags', result: 'hit' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'gatekeeper_cache_requests_total', { module: 'api_auth', result: 'hit' }),
    ).toBe(1);
    expect(
      sample(text, 'gatekeeper_storage_operation_duration_seconds_count', {
        module: 'api_auth',
        backend: 'redis',
        operation: 'getByHash',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'gatekeeper_storage_operation_duration_seconds_count', {
        module: 'feature_flags',
        backend: 'redis',
        operation: 'createFlag',
      }),
    ).toBe(1);

    // Never a key, a user id or an owner in a label.
    for (const secret of [key, 'staff-1', 'someone', 'user-secret-id', 'sk_not-a-key']) {
      expect(text).not.toContain(secret);
    }
  });
});
