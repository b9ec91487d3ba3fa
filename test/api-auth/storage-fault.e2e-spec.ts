import { ApiKeyService, type ApiAuthModuleOptions } from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import {
  createTestDatabase,
  startPostgresServer,
  startRedisServer,
  uniqueName,
  type ServerHandle,
} from '../harness/servers';
import { eventually } from '../support/eventually';
import { createTestApp } from './fixtures/api-auth-test-app';
import { CapturingLogger } from '../support/capturing-logger';

const CACHE = 'RedisCacheApiKeyStorage';

describe('Redis cache outage: auth keeps working on the primary storage', () => {
  let redisServer: ServerHandle;
  let admin: Redis;
  let app: INestApplication;
  let logger: CapturingLogger;
  const redisPrefix = uniqueName('outage:');

  const get = (key: string) => request(app.getHttpServer()).get('/local/me').set('x-api-key', key);

  beforeAll(async () => {
    redisServer = await startRedisServer({ password: 'outage-pw' });
    admin = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    admin.on('error', () => undefined);
    logger = new CapturingLogger();
    const auth: ApiAuthModuleOptions = {
      storage: undefined,
      backend: 'database',
      connectionString: await createTestDatabase('postgres'),
      redisUrl: redisServer.url,
      redisPrefix,
      cache: { ttl: 300 },
    };
    app = await createTestApp({ auth, logger });
  });

  afterAll(async () => {
    await app.close();
    admin.disconnect();
    await redisServer.close();
  });

  /** Uses the key until its record sits in the cache (after the first use's lastUsedAt write). */
  async function cached(key: string, keyHash: string): Promise<void> {
    expect(
      await eventually(async () => {
        await get(key).expect(200);
        const entry = await admin.get(`${redisPrefix}cache:hash:${keyHash}`);
        return entry?.includes('"last_used_at":"') ?? false;
      }),
    ).toBe(true);
  }

  it('serves, revokes and resumes caching across a Redis restart', async () => {
    const apiKeys = app.get(ApiKeyService);
    const steady = await apiKeys.create({ name: 'steady', ownerId: 'o', scopes: [] });
    const doomed = await apiKeys.create({ name: 'doomed', ownerId: 'o', scopes: [] });
    await cached(steady.key, steady.apiKey.keyHash);
    await cached(doomed.key, doomed.apiKey.keyHash);

    // Persist the cache, so the restarted server comes back with the (soon stale) entries.
    await admin.save();
    await redisServer.stop();

    for (let i = 0; i < 20; i += 1) await get(steady.key).expect(200);
    // Revoked while the cache cannot be told: refused at once all the same.
    await apiKeys.revoke(doomed.apiKey.id);
    await get(doomed.key).expect(401);
    for (let i = 0; i < 5; i += 1) await get(steady.key).expect(200);
    expect(logger.from(CACHE, 'warn')).toHaveLength(1);
    expect(logger.from(CACHE, 'warn')[0]).toMatch(/Redis cache unavailable.*primary storage/);
    expect(logger.entries.map((entry) => entry.level)).not.toContain('error');

    await redisServer.start();
    // Back with the entry cached before the revocation…
    expect(await admin.get(`${redisPrefix}cache:hash:${doomed.apiKey.keyHash}`)).toContain(
      '"revoked_at":null',
    );
    expect(
      await eventually(
        async () => {
          await get(doomed.key).expect(401);
          return logger.from(CACHE, 'log').some((line) => /caching API keys resumed/.test(line));
        },
        { attempts: 400 },
      ),
    ).toBe(true);

    // The invalidation missed during the outage was applied before the cache was read again.
    await get(doomed.key).expect(401);
    const recached = await admin.get(`${redisPrefix}cache:hash:${doomed.apiKey.keyHash}`);
    expect(JSON.parse(recached!).revoked_at).not.toBeNull();
    // And lookups are cached again.
    await get(steady.key).expect(200);
    expect(await admin.get(`${redisPrefix}cache:hash:${steady.apiKey.keyHash}`)).not.toBeNull();
    expect(logger.from(CACHE, 'warn')).toHaveLength(1);
  });
});

describe('database outage: the guard fails closed with 503 and recovers', () => {
  let postgres: ServerHandle;
  let app: INestApplication;

  beforeAll(async () => {
    postgres = await startPostgresServer();
    app = await createTestApp({
      auth: {
        storage: undefined,
        backend: 'database',
        connectionString: postgres.url,
        tablePrefix: 'fault_',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await app.close();
    await postgres.close();
  });

  it('answers 503 (never 500, never 200) while the database is down, 200 once it is back', async () => {
    const { key } = await app.get(ApiKeyService).create({ name: 'db', ownerId: 'o', scopes: [] });
    const http = () => request(app.getHttpServer());
    await http().get('/local/me').set('x-api-key', key).expect(200);

    await postgres.stop();
    const res = await http().get('/local/me').set('x-api-key', key).expect(503);
    expect(res.body.code).toBe('auth_unavailable');
    // A key with a broken checksum is still refused without asking the database.
    const broken = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    await http().get('/local/me').set('x-api-key', broken).expect(401);
    const health = await http().get('/health').expect(503);
    expect(health.body.error.api_auth.status).toBe('down');

    await postgres.start();
    expect(
      await eventually(
        async () => (await http().get('/local/me').set('x-api-key', key)).status === 200,
        { attempts: 400 },
      ),
    ).toBe(true);
    await http().get('/health').expect(200);
  }, 60_000);
});
