import {
  ApiKeyService,
  GatekeeperConfigError,
  RedisApiKeyStorage,
  RedisCacheApiKeyStorage,
  MemoryApiKeyStorage,
  type ApiAuthModuleOptions,
} from '@gatekeeper/api-auth';
import { connectRedisClient, quitRedis } from '@gatekeeper/common';
import type { INestApplication } from '@nestjs/common';
import type { Cluster } from 'ioredis';
import request from 'supertest';
import { testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';
import { createTestApp } from './fixtures/api-auth-test-app';

/** ApiAuthModule on the harness's Redis Cluster (3 primaries), by URL and by client. */
describe('ApiAuthModule on a Redis Cluster', () => {
  const url = testUrls().redisCluster;
  let cluster: Cluster;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    cluster = (await connectRedisClient(url)) as Cluster;
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(() => quitRedis(cluster));

  const start = async (auth: ApiAuthModuleOptions) => {
    const app = await createTestApp({ auth: { storage: undefined, ...auth } });
    apps.push(app);
    return app;
  };
  const status = async (app: INestApplication, key: string) =>
    (await request(app.getHttpServer()).get('/local/me').set('x-api-key', key)).status;

  it("keeps every key under '{api_key}:' by default, in one slot, and revokes", async () => {
    const app = await start({ backend: 'redis', redisUrl: url });
    const service = app.get(ApiKeyService);
    const ownerId = uniqueName('owner-');
    const { key, apiKey } = await service.create({ name: 'ci', ownerId, scopes: [] });
    expect(await status(app, key)).toBe(200);

    const names = [`{api_key}:id:${apiKey.id}`, `{api_key}:owner:${ownerId}`];
    names.push(`{api_key}:hash:${apiKey.keyHash}`);
    expect(await cluster.exists(...names)).toBe(3);
    const slots = await Promise.all(names.map((name) => cluster.cluster('KEYSLOT', name)));
    expect(new Set(slots).size).toBe(1);

    await service.revoke(apiKey.id);
    expect(await status(app, key)).toBe(401);
    const listed = [];
    for await (const listedKey of service.listByOwner(ownerId)) listed.push(listedKey.id);
    expect(listed).toEqual([apiKey.id]);
    expect((await request(app.getHttpServer()).get('/health')).status).toBe(200);
  });

  it('refuses a redisPrefix without a hash tag at startup, saying what to use', async () => {
    const error = await start({ backend: 'redis', redisUrl: url, redisPrefix: 'tenant:' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatekeeperConfigError);
    expect((error as Error).message).toContain('redisPrefix "tenant:" has no hash tag');
    expect((error as Error).message).toContain('"{tenant}:"');
  });

  it('takes your Cluster client (left open) and invalidates local caches over its pub/sub', async () => {
    const auth: ApiAuthModuleOptions = {
      backend: 'redis',
      redis: cluster,
      redisPrefix: `{${uniqueName('tenant-')}}:`,
      // An hour: a key refused during the test was invalidated, not expired.
      localCache: { ttl: 3600 },
    };
    const [a, b] = [await start(auth), await start(auth)];
    const { key, apiKey } = await a
      .get(ApiKeyService)
      .create({ name: 'shared', ownerId: 'o', scopes: [] });
    expect(await status(b, key)).toBe(200);
    expect(await status(b, key)).toBe(200);
    await a.get(ApiKeyService).revoke(apiKey.id);
    expect(await eventually(async () => (await status(b, key)) === 401)).toBe(true);

    await Promise.all(apps.splice(0).map((app) => app.close()));
    expect(await cluster.ping()).toBe('PONG');
  });

  it('caches keys of another backend in the cluster (cache: { ttl })', async () => {
    const primary = new MemoryApiKeyStorage();
    const app = await start({ storage: primary, redisUrl: url, cache: { ttl: 60 } });
    const { key, apiKey } = await app
      .get(ApiKeyService)
      .create({ name: 'cached', ownerId: 'o', scopes: [] });
    expect(await status(app, key)).toBe(200);
    // The entry itself may be gone already: recording the first use invalidates it.
    expect(await cluster.exists(`{api_key}:cache:gen:${apiKey.keyHash}`)).toBe(1);
    await app.get(ApiKeyService).revoke(apiKey.id);
    expect(await status(app, key)).toBe(401);
  });

  it('refuses a storage prefix without a hash tag when constructed directly', () => {
    expect(() => new RedisApiKeyStorage(cluster, { prefix: 'keys:' })).toThrow(
      /prefix "keys:" has no hash tag/,
    );
    expect(
      () =>
        new RedisCacheApiKeyStorage({
          redis: cluster,
          primary: new MemoryApiKeyStorage(),
          ttl: 60,
          prefix: 'cache:',
        }),
    ).toThrow(/prefix "cache:" has no hash tag/);
  });
});
