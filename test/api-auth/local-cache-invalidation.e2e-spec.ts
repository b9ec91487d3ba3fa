import {
  API_KEY_STORAGE,
  ApiKeyService,
  GatekeeperConfigError,
  LocalCacheApiKeyStorage,
  MemoryApiKeyStorage,
  type ApiAuthModuleOptions,
} from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';
import { createTestApp, FakeClock } from './fixtures/api-auth-test-app';

// An hour: a key seen to be refused during a test was invalidated, not expired from the cache.
const LONG_TTL = 3600;

describe('API-key local cache across instances (real Redis pub/sub)', () => {
  let a: INestApplication;
  let b: INestApplication;

  beforeEach(async () => {
    const auth = {
      storage: undefined,
      backend: 'redis' as const,
      redisUrl: testUrls().redis,
      redisPrefix: uniqueName('akc:') + ':',
      localCache: { ttl: LONG_TTL },
    };
    a = await createTestApp({ auth });
    b = await createTestApp({ auth });
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const status = async (app: INestApplication, key: string) =>
    (await request(app.getHttpServer()).get('/local/me').set('x-api-key', key)).status;

  it('rejects a key revoked on one instance on the other, within the cache ttl', async () => {
    expect(b.get(API_KEY_STORAGE)).toBeInstanceOf(LocalCacheApiKeyStorage);
    const { key, apiKey } = await a.get(ApiKeyService).create({
      name: 'shared',
      ownerId: 'owner-1',
      scopes: [],
    });
    expect(await status(b, key)).toBe(200); // now cached on B
    expect(await status(b, key)).toBe(200);

    await a.get(ApiKeyService).revoke(apiKey.id);
    expect(await status(a, key)).toBe(401);
    expect(await eventually(async () => (await status(b, key)) === 401)).toBe(true);
  });

  it('rejects a key deleted on one instance on the other', async () => {
    const { key, apiKey } = await a.get(ApiKeyService).create({
      name: 'doomed',
      ownerId: 'owner-1',
      scopes: [],
    });
    expect(await status(b, key)).toBe(200);
    await a.get(ApiKeyService).delete(apiKey.id);
    expect(await eventually(async () => (await status(b, key)) === 401)).toBe(true);
  });

  it('moves key expiry and the cache ttl together when API_AUTH_CLOCK is overridden', async () => {
    const clock = new FakeClock();
    const storage = new MemoryApiKeyStorage();
    // No Redis: nothing tells the cache about a change made around it, only the ttl bounds it.
    const app = await createTestApp({ auth: { storage, localCache: { ttl: 5 } }, clock });
    try {
      const service = app.get(ApiKeyService);
      const { key, apiKey } = await service.create({ name: 'k', ownerId: 'o', scopes: [] });
      expect(await status(app, key)).toBe(200); // now cached
      await storage.update({ ...apiKey, revokedAt: clock.now() });
      clock.advance(4);
      expect(await status(app, key)).toBe(200);
      clock.advance(1);
      expect(await status(app, key)).toBe(401);

      const expiring = await service.create({
        name: 'e',
        ownerId: 'o',
        scopes: [],
        expiresAt: new Date(clock.now().getTime() + 60_000),
      });
      expect(await status(app, expiring.key)).toBe(200);
      clock.advance(60);
      expect(await status(app, expiring.key)).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('refuses a localCache ttl that cannot work', async () => {
    await expect(
      createTestApp({ auth: { storage: undefined, localCache: { ttl: -1 } } }),
    ).rejects.toThrow(/localCache.ttl must be a positive number of seconds/);
  });

  it('fails startup on the option name of 0.1, naming the new one', async () => {
    // What a JavaScript caller (no compiler to tell them) still passing `verifyCache` gets.
    const legacy = { storage: undefined, verifyCache: { ttl: 5 } } as ApiAuthModuleOptions;
    const failure = createTestApp({ auth: legacy });
    await expect(failure).rejects.toBeInstanceOf(GatekeeperConfigError);
    await expect(failure).rejects.toThrow('`verifyCache` was renamed `localCache` in 0.2.0');
  });
});
