import { randomBytes, randomUUID } from 'node:crypto';
import {
  apiKeyMigrations,
  ApiKeyService,
  ApiKeyVersionConflictError,
  DatabaseApiKeyStorage,
  MemoryApiKeyStorage,
  RedisApiKeyStorage,
  RevokedApiKeyError,
  type ApiKey,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createTestDatabase, testUrls, uniqueName } from '../harness/servers';

/**
 * Optimistic concurrency through `ApiKeyService`: `revoke()` and `rotate()` read a key, then
 * update it based on the version they read. Here another writer changes the key between the two,
 * on every backend, and the service must neither undo that change nor leave half a rotation.
 */
interface Backend {
  storage: ApiKeyStorage;
  close(): Promise<void>;
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['memory', async () => ({ storage: new MemoryApiKeyStorage(), close: async () => undefined })],
  ['sqlite', () => database('sqlite::memory:')],
  ['postgres', async () => database(await createTestDatabase('postgres'))],
  ['mysql', async () => database(await createTestDatabase('mysql'))],
  [
    'redis',
    async () => {
      const redis = new Redis(testUrls().redis);
      const storage = new RedisApiKeyStorage(redis, { prefix: uniqueName('versions:') });
      return { storage, close: async () => void (await redis.quit()) };
    },
  ],
];

async function database(connectionString: string): Promise<Backend> {
  const storage = await DatabaseApiKeyStorage.create({
    connectionString,
    tablePrefix: uniqueName('v'),
  });
  return { storage, close: () => storage.close() };
}

/**
 * `storage`, except that the next `interferences` versioned updates are each preceded by another
 * writer renaming the key (an update that ignores versions), so they find a newer version.
 */
function interfering(storage: ApiKeyStorage, state: { interferences: number; renames: number }) {
  return new Proxy(storage, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== 'update' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (apiKey: ApiKey) => {
        if (apiKey.version !== undefined && state.interferences > 0) {
          state.interferences -= 1;
          state.renames += 1;
          const current = (await target.getById(apiKey.id))!;
          await target.update({ ...current, version: undefined, name: `renamed ${state.renames}` });
        }
        return target.update(apiKey);
      };
    },
  });
}

async function keysOf(storage: ApiKeyStorage, ownerId: string): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  for await (const apiKey of storage.listByOwner(ownerId)) keys.push(apiKey);
  return keys;
}

describe.each(BACKENDS)('API-key versions through ApiKeyService on %s', (_name, open) => {
  let backend: Backend;
  let state: { interferences: number; renames: number };
  let service: ApiKeyService;

  beforeAll(async () => {
    backend = await open();
  });

  afterAll(() => backend.close());

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    state = { interferences: 0, renames: 0 };
    service = new ApiKeyService(interfering(backend.storage, state), {}, { now: () => new Date() });
  });

  afterEach(() => jest.restoreAllMocks());

  const issue = () =>
    service.create({ name: 'ci', ownerId: uniqueName('owner-'), scopes: ['reports:read'] });

  it('revoke() keeps a rename made between its read and its write', async () => {
    const { key, apiKey } = await issue();
    state.interferences = 1;
    const revoked = await service.revoke(apiKey.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect(revoked.name).toBe('renamed 1');
    expect(revoked.version).toBe(3);
    await expect(service.verify(key)).rejects.toBeInstanceOf(RevokedApiKeyError);
  });

  it('revoke() still revokes while the key changes on every attempt', async () => {
    const { key, apiKey } = await issue();
    state.interferences = 1000;
    await expect(service.revoke(apiKey.id)).resolves.toMatchObject({ id: apiKey.id });
    await expect(service.verify(key)).rejects.toBeInstanceOf(RevokedApiKeyError);
  });

  it('rotate() starts again from the changed key after a conflict', async () => {
    const { key, apiKey } = await issue();
    state.interferences = 1;
    const rotated = await service.rotate(apiKey.id, { gracePeriodSeconds: 3600 });
    // The replacement copies the key as it is now, not as first read.
    expect(rotated.apiKey.name).toBe('renamed 1');
    expect(rotated.previous).toMatchObject({ id: apiKey.id, name: 'renamed 1', version: 3 });
    expect(rotated.previous.expiresAt).not.toBeNull();
    const ids = (await keysOf(backend.storage, apiKey.ownerId)).map((k) => k.id).sort();
    expect(ids).toEqual([apiKey.id, rotated.apiKey.id].sort());
    await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
    await expect(service.verify(rotated.key)).resolves.toMatchObject({ id: rotated.apiKey.id });
  });

  it('rotate() gives up with ApiKeyVersionConflictError, leaving no half-rotated key', async () => {
    const { key, apiKey } = await issue();
    state.interferences = 1000;
    const error = await service.rotate(apiKey.id, { gracePeriodSeconds: 0 }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiKeyVersionConflictError);
    expect(error).toMatchObject({ id: apiKey.id });
    const keys = await keysOf(backend.storage, apiKey.ownerId);
    expect(keys.map((k) => k.id)).toEqual([apiKey.id]);
    expect(keys[0].expiresAt).toBeNull();
    await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
  });

  it('recording a use does not move the version on, so it never fails an admin edit', async () => {
    const { key, apiKey } = await issue();
    const read = (await backend.storage.getById(apiKey.id))!;
    await service.verify(key);
    await service.beforeApplicationShutdown(); // the lastUsedAt write has landed
    expect((await backend.storage.getById(apiKey.id))!.lastUsedAt).not.toBeNull();
    await expect(backend.storage.update({ ...read, name: 'edited' })).resolves.toMatchObject({
      name: 'edited',
      version: 2,
    });
  });
});

describe('keys stored before versions existed', () => {
  const legacyKey = (ownerId: string): ApiKey => ({
    id: randomUUID(),
    name: 'legacy',
    ownerId,
    prefix: 'sk_Ab12cd',
    keyHash: randomBytes(32).toString('hex'),
    scopes: ['a:b'],
    metadata: { since: '0.2' },
    createdAt: new Date('2030-01-01T00:00:00.000Z'),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
  });

  it('Redis: a record without a version reads as 1, and is updated with a compare-and-set', async () => {
    const redis = new Redis(testUrls().redis);
    const prefix = uniqueName('legacy:');
    const storage = new RedisApiKeyStorage(redis, { prefix });
    try {
      const keys = [legacyKey('legacy-owner'), legacyKey('legacy-owner')];
      for (const apiKey of keys) {
        // The 0.2 layout: the same fields, no "version".
        const json =
          JSON.stringify({
            id: apiKey.id,
            owner_id: apiKey.ownerId,
            prefix: apiKey.prefix,
            key_hash: apiKey.keyHash,
            created_at: apiKey.createdAt.toISOString(),
            name: apiKey.name,
            scopes: apiKey.scopes,
            metadata: apiKey.metadata,
            expires_at: null,
            revoked_at: null,
          }).slice(0, -1) + ',"last_used_at":null}';
        await redis
          .multi()
          .set(`${prefix}hash:${apiKey.keyHash}`, json)
          .set(`${prefix}id:${apiKey.id}`, apiKey.keyHash)
          .sadd(`${prefix}owner:${apiKey.ownerId}`, apiKey.id)
          .exec();
      }
      const [edited, touched] = keys;
      expect(await storage.getById(edited.id)).toEqual({ ...edited, version: 1 });
      await expect(storage.update({ ...edited, version: 2 })).rejects.toMatchObject({
        name: 'ApiKeyVersionConflictError',
        expected: 2,
        actual: 1,
      });
      const renamed = await storage.update({ ...edited, version: 1, name: 'renamed' });
      expect(renamed).toEqual({ ...edited, name: 'renamed', version: 2 });
      expect(await storage.getByHash(edited.keyHash)).toEqual(renamed);

      const at = new Date('2030-02-01T00:00:00.000Z');
      await storage.touch(touched.id, at);
      expect(await storage.getById(touched.id)).toEqual({ ...touched, lastUsedAt: at, version: 1 });
    } finally {
      await redis.quit();
    }
  });

  it('SQLite: createTables adds the version column to a 0.2 table, keys at 1', async () => {
    const dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
    }).initialize();
    try {
      const [CreateTable] = apiKeyMigrations();
      const runner = dataSource.createQueryRunner();
      await new CreateTable().up(runner);
      await runner.release();
      const legacy = legacyKey('legacy-owner');
      await dataSource.query(
        'INSERT INTO api_keys (id, name, owner_id, prefix, key_hash, scopes, metadata, created_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [
          legacy.id,
          legacy.name,
          legacy.ownerId,
          legacy.prefix,
          legacy.keyHash,
          JSON.stringify(legacy.scopes),
          JSON.stringify(legacy.metadata),
          legacy.createdAt.getTime(),
        ],
      );
      const storage = new DatabaseApiKeyStorage(dataSource);
      await storage.createTables();
      expect(await storage.getByHash(legacy.keyHash)).toEqual({ ...legacy, version: 1 });
      const revoked = await storage.update({ ...legacy, version: 1, revokedAt: new Date() });
      expect(revoked.version).toBe(2);
      await expect(storage.update({ ...legacy, version: 1 })).rejects.toBeInstanceOf(
        ApiKeyVersionConflictError,
      );
    } finally {
      await dataSource.destroy();
    }
  });
});
