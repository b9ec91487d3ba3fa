import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_KEY_STORAGE,
  ApiKeyService,
  DatabaseApiKeyStorage,
  RedisApiKeyStorage,
  RedisCacheApiKeyStorage,
  type ApiAuthModuleOptions,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import { GatekeeperConfigError } from '@gatekeeper/common';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startRedisServer, testUrls, uniqueName, type ServerHandle } from '../harness/servers';
import { eventually } from '../support/eventually';
import { createTestApp } from './fixtures/api-auth-test-app';

async function start(auth: ApiAuthModuleOptions): Promise<INestApplication> {
  return createTestApp({ auth: { storage: undefined, ...auth } });
}

/** Issues a key through the app and uses it on a guarded route. */
async function issueAndUse(app: INestApplication): Promise<string> {
  const { key } = await app.get(ApiKeyService).create({
    name: 'module test',
    ownerId: 'owner-1',
    scopes: [],
  });
  await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
  return key;
}

describe('ApiAuthModule storage backends', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gk-api-auth-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("backend: 'database' keeps keys in a SQLite file across restarts", async () => {
    const options: ApiAuthModuleOptions = {
      backend: 'database',
      connectionString: `sqlite:${join(dir, 'keys.db')}`,
      tablePrefix: 'gk_',
    };
    let app = await start(options);
    expect(app.get(API_KEY_STORAGE)).toBeInstanceOf(DatabaseApiKeyStorage);
    const key = await issueAndUse(app);
    await app.close();

    app = await start(options);
    try {
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
    } finally {
      await app.close();
    }
  });

  it("backend: 'database' on your DataSource leaves it open at shutdown", async () => {
    const dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
    }).initialize();
    const app = await start({ backend: 'database', dataSource });
    await issueAndUse(app);
    await app.close();
    expect(dataSource.isInitialized).toBe(true);
    expect(await dataSource.query('SELECT COUNT(*) AS n FROM api_keys')).toEqual([{ n: 1 }]);
    await dataSource.destroy();
  });

  it('refuses a DataSource that is not initialized yet', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await expect(start({ backend: 'database', dataSource })).rejects.toThrow(
      /dataSource must be initialized/,
    );
  });

  describe('with a private Redis', () => {
    let server: ServerHandle;
    let admin: Redis;

    beforeAll(async () => {
      server = await startRedisServer({ password: 'hunter2' });
      admin = new Redis(server.url);
    });

    afterAll(async () => {
      admin.disconnect();
      await server.close();
    });

    /** Names of the connections the server sees, apart from ours. */
    async function clientNames(): Promise<string[]> {
      const list = (await admin.call('CLIENT', 'LIST')) as string;
      return [...list.matchAll(/ name=(\S*)/g)].map((m) => m[1]).filter(Boolean);
    }

    it("backend: 'redis' from redisUrl: the module opens and quits its own client", async () => {
      const app = await start({ backend: 'redis', redisUrl: server.url, redisPrefix: 'mod:' });
      expect(app.get(API_KEY_STORAGE)).toBeInstanceOf(RedisApiKeyStorage);
      await issueAndUse(app);
      expect(await admin.keys('mod:hash:*')).toHaveLength(1);
      expect(await clientNames()).toContain('gatekeeper-api-auth-redis');
      await app.close();
      expect(await clientNames()).not.toContain('gatekeeper-api-auth-redis');
    });

    it("backend: 'redis' on your client leaves it connected at shutdown", async () => {
      const redis = new Redis(server.url);
      const app = await start({ backend: 'redis', redis, redisPrefix: uniqueName('own:') });
      await issueAndUse(app);
      await app.close();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
    });

    it('cache: { ttl } wraps the database in a Redis cache and closes what it opened', async () => {
      const dataSource = await new DataSource({
        type: 'better-sqlite3',
        database: ':memory:',
      }).initialize();
      const app = await start({
        backend: 'database',
        dataSource,
        redisUrl: server.url,
        redisPrefix: 'cached:',
        cache: { ttl: 60 },
      });
      expect(app.get<ApiKeyStorage>(API_KEY_STORAGE)).toBeInstanceOf(RedisCacheApiKeyStorage);
      const key = await issueAndUse(app);
      // The first use records lastUsedAt, which invalidates the entry; the next use caches it.
      expect(
        await eventually(async () => {
          await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
          return (await admin.keys('cached:cache:hash:*')).length === 1;
        }),
      ).toBe(true);
      expect(await clientNames()).toContain('gatekeeper-api-auth-cache');
      await app.close();
      expect(await clientNames()).not.toContain('gatekeeper-api-auth-cache');
      expect(dataSource.isInitialized).toBe(true);
      await dataSource.destroy();
    });
  });

  it('works with a Redis Sentinel URL', async () => {
    const app = await start({
      backend: 'redis',
      redisUrl: testUrls().redisSentinel,
      redisPrefix: uniqueName('sentinel:'),
    });
    try {
      await issueAndUse(app);
    } finally {
      await app.close();
    }
  });

  describe('startup errors never echo a password', () => {
    it.each<[string, ApiAuthModuleOptions]>([
      ['connectionString', { backend: 'database', connectionString: 'postgres://app:hunter2@/db' }],
      [
        'connectionString scheme',
        { backend: 'database', connectionString: 'oracle://app:hunter2@db/x' },
      ],
      ['redisUrl', { backend: 'redis', redisUrl: 'redis://:hunter2@host:notaport/0' }],
      ['redisUrl scheme', { backend: 'redis', redisUrl: 'http://:hunter2@host/0' }],
      [
        'cache redisUrl',
        {
          backend: 'database',
          connectionString: 'sqlite::memory:',
          redisUrl: 'redis://:hunter2@host/db-zero',
          cache: { ttl: 60 },
        },
      ],
    ])('malformed %s', async (_what, options) => {
      const error = await start(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatekeeperConfigError);
      expect((error as Error).message).toMatch(/is not valid/);
      expect((error as Error).message).not.toContain('hunter2');
    });

    it('an unreachable database', async () => {
      const error = await start({
        backend: 'database',
        connectionString: 'postgres://app:hunter2@127.0.0.1:1/db',
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/Could not connect to the database/);
      expect((error as Error).message).not.toContain('hunter2');
    });
  });
});
