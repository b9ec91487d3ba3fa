import { randomBytes, randomUUID } from 'node:crypto';
import {
  ApiKeyService,
  DatabaseApiKeyStorage,
  RedisCacheApiKeyStorage,
  type ApiAuthModuleOptions,
  type ApiKey,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import { createTestDatabase, testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';
import { createTestApp } from './fixtures/api-auth-test-app';

function newKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: randomUUID(),
    name: 'cached',
    ownerId: 'owner-1',
    prefix: 'sk_Ab12cd',
    keyHash: randomBytes(32).toString('hex'),
    scopes: ['reports:read'],
    metadata: {},
    createdAt: new Date('2030-01-01T00:00:00.000Z'),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    version: 1,
    ...overrides,
  };
}

/** A real storage whose lookups can be held after they have read, to line up a race. */
class HeldReads implements ApiKeyStorage {
  private hold: Promise<void> | undefined;
  private releaseHold = () => undefined as void;
  private readonly readDone: Array<() => void> = [];

  constructor(private readonly inner: ApiKeyStorage) {}

  /** Holds the next lookups after their read; resolves once one of them has read. */
  holdNextRead(): Promise<void> {
    this.hold = new Promise((resolve) => (this.releaseHold = resolve));
    return new Promise((resolve) => this.readDone.push(resolve));
  }

  release(): void {
    this.hold = undefined;
    this.releaseHold();
  }

  async getByHash(keyHash: string) {
    const apiKey = await this.inner.getByHash(keyHash);
    const hold = this.hold;
    if (hold) {
      this.readDone.shift()?.();
      await hold;
    }
    return apiKey;
  }

  getById = (id: string) => this.inner.getById(id);
  create = (apiKey: ApiKey) => this.inner.create(apiKey);
  update = (apiKey: ApiKey) => this.inner.update(apiKey);
  delete = (id: string) => this.inner.delete(id);
  listByOwner = (ownerId: string) => this.inner.listByOwner(ownerId);
  healthCheck = () => this.inner.healthCheck();
  close = () => this.inner.close();
}

describe('RedisCacheApiKeyStorage', () => {
  let redis: Redis;
  let database: DatabaseApiKeyStorage;
  let primary: HeldReads;
  let cache: RedisCacheApiKeyStorage;
  let lookups: jest.SpyInstance;

  beforeAll(async () => {
    redis = new Redis(testUrls().redis);
    database = await DatabaseApiKeyStorage.create({
      connectionString: await createTestDatabase('postgres'),
    });
  });

  beforeEach(() => {
    primary = new HeldReads(database);
    lookups = jest.spyOn(database, 'getByHash');
    cache = new RedisCacheApiKeyStorage({
      redis,
      primary,
      ttl: 300,
      prefix: uniqueName('cache-test:'),
    });
  });

  afterEach(() => lookups.mockRestore());

  afterAll(async () => {
    await database.close();
    redis.disconnect();
  });

  it('answers repeated lookups of a key from Redis', async () => {
    const apiKey = await cache.create(newKey());
    for (let i = 0; i < 20; i += 1) expect(await cache.getByHash(apiKey.keyHash)).toEqual(apiKey);
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('remembers an unknown hash briefly, so a flood of one bad key reaches the database once', async () => {
    const unknown = randomBytes(32).toString('hex');
    for (let i = 0; i < 50; i += 1) expect(await cache.getByHash(unknown)).toBeNull();
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('forgets "unknown" as soon as a key with that hash is created', async () => {
    const apiKey = newKey();
    expect(await cache.getByHash(apiKey.keyHash)).toBeNull();
    await cache.create(apiKey);
    expect(await cache.getByHash(apiKey.keyHash)).toEqual(apiKey);
  });

  it('serves the new state right after update, touch and delete', async () => {
    const apiKey = await cache.create(newKey());
    await cache.getByHash(apiKey.keyHash);

    const renamed = await cache.update({ ...apiKey, name: 'renamed', scopes: ['x:y'] });
    expect(await cache.getByHash(apiKey.keyHash)).toEqual(renamed);

    const usedAt = new Date('2030-02-01T00:00:00.000Z');
    await cache.touch(apiKey.id, usedAt);
    expect((await cache.getByHash(apiKey.keyHash))!.lastUsedAt).toEqual(usedAt);

    expect(await cache.delete(apiKey.id)).toBe(true);
    expect(await cache.getByHash(apiKey.keyHash)).toBeNull();
  });

  it('drops the entry when the primary applied a write but reported a failure', async () => {
    const apiKey = await cache.create(newKey());
    await cache.getByHash(apiKey.keyHash);
    // A primary that applies the write, then fails to answer (a timeout after the commit…).
    const failing = jest.spyOn(primary, 'update').mockImplementation(async (changed) => {
      await database.update(changed);
      throw new Error('connection lost after the write');
    });
    try {
      const revokedAt = new Date('2030-03-01T00:00:00Z');
      await expect(cache.update({ ...apiKey, revokedAt })).rejects.toThrow('connection lost');
      expect((await cache.getByHash(apiKey.keyHash))?.revokedAt).toEqual(revokedAt);
    } finally {
      failing.mockRestore();
    }
  });

  it('never caches a value read before a concurrent revocation', async () => {
    const apiKey = await cache.create(newKey());
    // A lookup misses the cache and reads the key while it is still active…
    const hasRead = primary.holdNextRead();
    const staleLookup = cache.getByHash(apiKey.keyHash);
    await hasRead;
    // …the key is revoked and the cache invalidated before that lookup writes the cache…
    const revoked = await cache.update({ ...apiKey, revokedAt: new Date('2030-03-01T00:00:00Z') });
    primary.release();
    // …the in-flight lookup answers what it read, but must not have cached it.
    expect((await staleLookup)!.revokedAt).toBeNull();
    expect(await cache.getByHash(apiKey.keyHash)).toEqual(revoked);
  });
});

describe('RedisCacheApiKeyStorage shared by two app instances', () => {
  const redisPrefix = uniqueName('shared:');
  let first: INestApplication;
  let second: INestApplication;

  beforeAll(async () => {
    const shared: ApiAuthModuleOptions = {
      storage: undefined,
      backend: 'database',
      connectionString: await createTestDatabase('postgres'),
      redisUrl: testUrls().redis,
      redisPrefix,
      cache: { ttl: 300 },
    };
    first = await createTestApp({ auth: shared });
    second = await createTestApp({ auth: shared });
  });

  afterAll(async () => {
    await first.close();
    await second.close();
  });

  /** Uses the key on the second instance until it is served from the shared cache. */
  async function cachedOnSecond(key: string, apiKey: ApiKey): Promise<void> {
    const redis = new Redis(testUrls().redis);
    try {
      expect(
        await eventually(async () => {
          await request(second.getHttpServer()).get('/local/reports').set('x-api-key', key);
          const cached = await redis.get(`${redisPrefix}cache:hash:${apiKey.keyHash}`);
          return cached !== null && cached.includes('"last_used_at":"');
        }),
      ).toBe(true);
    } finally {
      redis.disconnect();
    }
  }

  it('a key revoked on one instance is refused by the other on its very next request', async () => {
    const { key, apiKey } = await first
      .get(ApiKeyService)
      .create({ name: 'shared', ownerId: 'o', scopes: ['reports:read'] });
    await cachedOnSecond(key, apiKey);

    await first.get(ApiKeyService).revoke(apiKey.id);
    const res = await request(second.getHttpServer())
      .get('/local/reports')
      .set('x-api-key', key)
      .expect(401);
    expect(res.body.code).toBe('revoked_api_key');
  });

  it('scopes changed and keys deleted on one instance take effect on the other at once', async () => {
    const service = first.get(ApiKeyService);
    const { key, apiKey } = await service.create({
      name: 'shared',
      ownerId: 'o',
      scopes: ['reports:read'],
    });
    await cachedOnSecond(key, apiKey);

    const storage = first.get<ApiKeyStorage>('API_KEY_STORAGE');
    await storage.update({ ...(await storage.getById(apiKey.id))!, scopes: ['other:scope'] });
    await request(second.getHttpServer()).get('/local/reports').set('x-api-key', key).expect(403);

    await service.delete(apiKey.id);
    await request(second.getHttpServer()).get('/local/me').set('x-api-key', key).expect(401);
  });
});
