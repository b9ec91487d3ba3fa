import { randomBytes, randomUUID } from 'node:crypto';
import {
  ApiKeyAlreadyExistsError,
  ApiKeyNotFoundError,
  ApiKeyService,
  ApiKeyVersionConflictError,
  DatabaseApiKeyStorage,
  InvalidApiKeyInputError,
  LocalCacheApiKeyStorage,
  MemoryApiKeyStorage,
  RedisApiKeyStorage,
  RedisCacheApiKeyStorage,
  type ApiKey,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import { connectRedisClient } from '@gatekeeper/common';
import Redis, { type Cluster } from 'ioredis';
import { createTestDatabase, testUrls, uniqueName } from '../harness/servers';
import { AuditLogApiKeyStorage } from './fixtures/docs-storage/audit-log.storage';
import { tracedStorage } from './fixtures/wrapped-storage';

/** Small pages, so a few hundred keys already cross many page and batch boundaries. */
const PAGE = 25;

interface Backend {
  storage: ApiKeyStorage;
  /** Makes the backend unreachable for this storage (only at the end of the suite). */
  sever?: () => Promise<void>;
  close(): Promise<void>;
}

async function database(connectionString: string): Promise<Backend> {
  const storage = await DatabaseApiKeyStorage.create({
    connectionString,
    tablePrefix: uniqueName('t'),
    pageSize: PAGE,
  });
  return { storage, sever: () => storage.close(), close: () => storage.close() };
}

async function redisClient(): Promise<Redis> {
  const redis = new Redis(testUrls().redis, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined);
  await redis.connect();
  return redis;
}

/** The harness's Redis Cluster, through the `redis+cluster://` URL the modules accept. */
async function clusterClient(): Promise<Cluster> {
  const cluster = (await connectRedisClient(testUrls().redisCluster)) as Cluster;
  cluster.on('error', () => undefined);
  return cluster;
}

/** A prefix of its own whose keys all share one cluster slot. */
const clusterPrefix = (label: string) => `{${uniqueName(label)}}:`;

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['memory', async () => ({ storage: new MemoryApiKeyStorage(), close: async () => undefined })],
  [
    'memory behind a tracing Proxy',
    async () => ({
      storage: tracedStorage(new MemoryApiKeyStorage()),
      close: async () => undefined,
    }),
  ],
  [
    'local cache over memory',
    async () => {
      const storage = new LocalCacheApiKeyStorage(new MemoryApiKeyStorage(), { ttl: 300 });
      return { storage, close: () => storage.close() };
    },
  ],
  [
    'custom (the docs example)',
    async () => ({ storage: new AuditLogApiKeyStorage(), close: async () => undefined }),
  ],
  ['sqlite', () => database('sqlite::memory:')],
  ['postgres', async () => database(await createTestDatabase('postgres'))],
  ['mysql', async () => database(await createTestDatabase('mysql'))],
  [
    'redis',
    async () => {
      const redis = await redisClient();
      const storage = new RedisApiKeyStorage(redis, {
        prefix: uniqueName('conformance:'),
        batchSize: PAGE,
      });
      return {
        storage,
        sever: async () => redis.disconnect(),
        close: async () => redis.disconnect(),
      };
    },
  ],
  [
    'redis cluster',
    async () => {
      const cluster = await clusterClient();
      const storage = new RedisApiKeyStorage(cluster, {
        prefix: clusterPrefix('conformance-'),
        batchSize: PAGE,
      });
      return {
        storage,
        sever: async () => cluster.disconnect(),
        close: async () => cluster.disconnect(),
      };
    },
  ],
  [
    'redis-cache on the redis cluster over sqlite',
    async () => {
      const primary = await database('sqlite::memory:');
      const cluster = await clusterClient();
      const storage = new RedisCacheApiKeyStorage({
        redis: cluster,
        primary: primary.storage,
        ttl: 300,
        prefix: clusterPrefix('conformance-cache-'),
      });
      return {
        storage,
        sever: primary.sever,
        close: async () => {
          await storage.close();
          await primary.close();
          cluster.disconnect();
        },
      };
    },
  ],
  [
    'redis-cache over postgres',
    async () => {
      const primary = await database(await createTestDatabase('postgres'));
      const redis = await redisClient();
      const storage = new RedisCacheApiKeyStorage({
        redis,
        primary: primary.storage,
        ttl: 300,
        prefix: uniqueName('conformance-cache:'),
      });
      return {
        storage,
        sever: primary.sever,
        close: async () => {
          await storage.close();
          await primary.close();
          redis.disconnect();
        },
      };
    },
  ],
];

const at = (iso: string) => new Date(iso);

function newKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: randomUUID(),
    name: 'CI deploy key',
    ownerId: uniqueName('owner-'),
    prefix: 'sk_Ab12cd',
    keyHash: randomBytes(32).toString('hex'),
    scopes: ['flags:read', 'flags:write'],
    metadata: { team: 'platform' },
    createdAt: at('2030-01-01T00:00:00.123Z'),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    version: 1,
    ...overrides,
  };
}

/** `apiKey` as an update that applies whatever the stored version (merge rules only). */
function unversioned(apiKey: ApiKey): ApiKey {
  return { ...apiKey, version: undefined };
}

async function collect(iterable: AsyncIterable<ApiKey>): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  for await (const apiKey of iterable) keys.push(apiKey);
  return keys;
}

describe.each(BACKENDS)('ApiKeyStorage conformance: %s', (_name, open) => {
  let backend: Backend;
  let storage: ApiKeyStorage;

  beforeAll(async () => {
    backend = await open();
    storage = backend.storage;
  });

  afterAll(() => backend.close());

  describe('create and read', () => {
    it('returns the stored key by hash and by id, every field intact', async () => {
      const apiKey = newKey({
        expiresAt: at('2031-06-30T12:34:56.789Z'),
        lastUsedAt: at('2030-01-02T00:00:00.001Z'),
      });
      expect(await storage.create(apiKey)).toEqual(apiKey);
      expect(await storage.getByHash(apiKey.keyHash)).toEqual(apiKey);
      expect(await storage.getById(apiKey.id)).toEqual(apiKey);
    });

    it('keeps unicode names, owners and metadata, empty lists and large numbers exactly', async () => {
      const apiKey = newKey({
        name: 'Clé de déploiement 🚀 — 東京',
        ownerId: uniqueName('José-Ñandú-'),
        scopes: [],
        metadata: {
          emoji: '🔑',
          quote: 'say "hi", \\ bye',
          nested: { empty: {}, list: [], deep: [{ a: null }] },
          big: 1234567890123456,
          ratio: 0.1,
          json: '{"revoked_at":null,"last_used_at":null}',
        },
      });
      await storage.create(apiKey);
      expect(await storage.getByHash(apiKey.keyHash)).toEqual(apiKey);
      const updated = await storage.update({ ...apiKey, name: `${apiKey.name} ✓` });
      expect(updated).toEqual({ ...apiKey, name: `${apiKey.name} ✓`, version: 2 });
      expect(await storage.getById(apiKey.id)).toEqual(updated);
      expect(await collect(storage.listByOwner(apiKey.ownerId))).toEqual([updated]);
    });

    it('answers null for unknown hashes and ids', async () => {
      expect(await storage.getByHash(randomBytes(32).toString('hex'))).toBeNull();
      expect(await storage.getById(randomUUID())).toBeNull();
    });

    it('hands out copies: changing a returned key changes nothing stored', async () => {
      const apiKey = newKey();
      const created = await storage.create(apiKey);
      created.scopes.push('admin');
      created.metadata.team = 'changed';
      const read = (await storage.getByHash(apiKey.keyHash))!;
      read.scopes.push('admin');
      read.createdAt.setFullYear(1999);
      expect(await storage.getById(apiKey.id)).toEqual(apiKey);
    });
  });

  describe('duplicates', () => {
    it('refuses a second key with the same id, keeping the first', async () => {
      const first = await storage.create(newKey());
      const clash = newKey({ id: first.id });
      await expect(storage.create(clash)).rejects.toThrow(ApiKeyAlreadyExistsError);
      await expect(storage.create(clash)).rejects.toMatchObject({ field: 'id' });
      expect(await storage.getById(first.id)).toEqual(first);
      expect(await storage.getByHash(clash.keyHash)).toBeNull();
      expect(await collect(storage.listByOwner(clash.ownerId))).toEqual([]);
    });

    it('refuses a second key with the same hash, without echoing the hash', async () => {
      const first = await storage.create(newKey());
      const clash = newKey({ keyHash: first.keyHash });
      const error = await storage.create(clash).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiKeyAlreadyExistsError);
      expect(error).toMatchObject({ field: 'keyHash' });
      expect((error as Error).message).not.toContain(first.keyHash);
      expect(await storage.getByHash(first.keyHash)).toEqual(first);
      expect(await storage.getById(clash.id)).toBeNull();
      expect(await collect(storage.listByOwner(clash.ownerId))).toEqual([]);
    });
  });

  describe('update', () => {
    it('replaces name, scopes, metadata and expiry; keeps what identifies the key', async () => {
      const original = await storage.create(newKey());
      const updated = await storage.update({
        ...original,
        name: 'renamed',
        scopes: ['reports:read'],
        metadata: { rotated: true },
        expiresAt: at('2032-01-01T00:00:00.000Z'),
        // Identity fields in an update are ignored.
        keyHash: randomBytes(32).toString('hex'),
        prefix: 'sk_zzzzzz',
        ownerId: 'someone-else',
        createdAt: at('2020-01-01T00:00:00.000Z'),
      });
      const expected = {
        ...original,
        name: 'renamed',
        scopes: ['reports:read'],
        metadata: { rotated: true },
        expiresAt: at('2032-01-01T00:00:00.000Z'),
        version: 2,
      };
      expect(updated).toEqual(expected);
      expect(await storage.getByHash(original.keyHash)).toEqual(expected);
      expect(await storage.getById(original.id)).toEqual(expected);
      expect(await collect(storage.listByOwner('someone-else'))).toEqual([]);
    });

    it('clears an expiry when given null', async () => {
      const original = await storage.create(newKey({ expiresAt: at('2031-01-01T00:00:00Z') }));
      expect((await storage.update({ ...original, expiresAt: null })).expiresAt).toBeNull();
      expect((await storage.getByHash(original.keyHash))!.expiresAt).toBeNull();
    });

    it('never clears or moves a revocation', async () => {
      const original = unversioned(await storage.create(newKey()));
      const revokedAt = at('2030-02-01T00:00:00.000Z');
      expect((await storage.update({ ...original, revokedAt })).revokedAt).toEqual(revokedAt);
      expect((await storage.update({ ...original, revokedAt: null })).revokedAt).toEqual(revokedAt);
      const later = at('2030-03-01T00:00:00.000Z');
      expect((await storage.update({ ...original, revokedAt: later })).revokedAt).toEqual(
        revokedAt,
      );
      expect((await storage.getByHash(original.keyHash))!.revokedAt).toEqual(revokedAt);
    });

    it('only moves lastUsedAt forward', async () => {
      const original = unversioned(await storage.create(newKey()));
      const t1 = at('2030-01-05T00:00:00.005Z');
      const t0 = at('2030-01-04T00:00:00.000Z');
      expect((await storage.update({ ...original, lastUsedAt: t1 })).lastUsedAt).toEqual(t1);
      expect((await storage.update({ ...original, lastUsedAt: t0 })).lastUsedAt).toEqual(t1);
      expect((await storage.update({ ...original, lastUsedAt: null })).lastUsedAt).toEqual(t1);
      const t2 = at('2030-01-05T00:00:00.006Z');
      expect((await storage.update({ ...original, lastUsedAt: t2 })).lastUsedAt).toEqual(t2);
      expect((await storage.getById(original.id))!.lastUsedAt).toEqual(t2);
    });

    it('rejects an unknown id', async () => {
      const ghost = newKey();
      await expect(storage.update(ghost)).rejects.toThrow(ApiKeyNotFoundError);
      expect(await storage.getById(ghost.id)).toBeNull();
      expect(await storage.getByHash(ghost.keyHash)).toBeNull();
    });

    it('a revocation survives 100 concurrent lastUsedAt updates from stale copies', async () => {
      const original = unversioned(await storage.create(newKey()));
      const base = Date.parse('2030-01-10T00:00:00.000Z');
      const uses = Array.from({ length: 100 }, (_, i) => new Date(base + i * 1000));
      const revokedAt = at('2030-01-10T00:00:30.000Z');
      await Promise.all([
        ...uses.slice(0, 50).map((lastUsedAt) => storage.update({ ...original, lastUsedAt })),
        storage.update({ ...original, revokedAt }),
        ...uses.slice(50).map((lastUsedAt) => storage.update({ ...original, lastUsedAt })),
      ]);
      const stored = (await storage.getByHash(original.keyHash))!;
      expect(stored.revokedAt).toEqual(revokedAt);
      expect(stored.lastUsedAt).toEqual(uses[99]);
    });
  });

  describe('versions', () => {
    it('start at 1, and only update() moves them on (touch does not)', async () => {
      const created = await storage.create(newKey({ version: undefined }));
      expect(created.version).toBe(1);
      expect((await storage.getById(created.id))!.version).toBe(1);
      await touch(storage, created.id, at('2030-01-05T00:00:00.000Z'));
      expect((await storage.getByHash(created.keyHash))!.version).toBe(1);
      const renamed = await storage.update({ ...created, name: 'renamed' });
      expect(renamed.version).toBe(2);
      const revoked = await storage.update({ ...renamed, revokedAt: at('2030-01-06T00:00:00Z') });
      expect(revoked.version).toBe(3);
      expect(await storage.getById(created.id)).toEqual(revoked);
      expect(await collect(storage.listByOwner(created.ownerId))).toEqual([revoked]);
    });

    it('refuse an update based on a stale version, changing nothing', async () => {
      const created = await storage.create(newKey());
      const current = await storage.update({ ...created, name: 'first' });
      const error = await storage
        .update({ ...created, name: 'second', scopes: ['admin'], revokedAt: new Date() })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiKeyVersionConflictError);
      expect(error).toMatchObject({ id: created.id, expected: 1, actual: 2 });
      expect(await storage.getById(created.id)).toEqual(current);
      expect(await storage.getByHash(created.keyHash)).toEqual(current);
    });

    it('let exactly one of 20 concurrent updates from one read win', async () => {
      const created = await storage.create(newKey());
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          storage.update({ ...created, name: `writer ${i}`, scopes: [`scope:${i}`] }),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const outcome of lost) {
        expect(outcome.reason).toBeInstanceOf(ApiKeyVersionConflictError);
      }
      const winner = won[0].value;
      expect(winner.version).toBe(2);
      expect(winner.scopes).toEqual([`scope:${winner.name.slice('writer '.length)}`]);
      expect(await storage.getById(created.id)).toEqual(winner);
    });

    it('answer not found, not a conflict, for an unknown id', async () => {
      await expect(storage.update(newKey({ version: 7 }))).rejects.toThrow(ApiKeyNotFoundError);
    });
  });

  describe('touch', () => {
    it('moves lastUsedAt forward only and changes nothing else', async () => {
      const original = await storage.create(newKey({ revokedAt: at('2030-01-01T10:00:00.000Z') }));
      const t1 = at('2030-01-06T00:00:00.000Z');
      await touch(storage, original.id, t1);
      await touch(storage, original.id, at('2030-01-05T00:00:00.000Z'));
      expect(await storage.getByHash(original.keyHash)).toEqual({ ...original, lastUsedAt: t1 });
    });

    it('keeps the latest of many concurrent touches', async () => {
      const original = await storage.create(newKey());
      const base = Date.parse('2030-01-07T00:00:00.000Z');
      const times = Array.from({ length: 50 }, (_, i) => new Date(base + ((i * 37) % 50)));
      await Promise.all(times.map((t) => touch(storage, original.id, t)));
      expect((await storage.getById(original.id))!.lastUsedAt).toEqual(new Date(base + 49));
    });

    it('resolves quietly for an unknown id', async () => {
      await expect(touch(storage, randomUUID(), new Date())).resolves.toBeUndefined();
    });
  });

  describe('delete', () => {
    it('removes the key everywhere and reports whether it existed', async () => {
      const apiKey = await storage.create(newKey());
      const sibling = await storage.create(newKey({ ownerId: apiKey.ownerId }));
      expect(await storage.delete(apiKey.id)).toBe(true);
      expect(await storage.getByHash(apiKey.keyHash)).toBeNull();
      expect(await storage.getById(apiKey.id)).toBeNull();
      expect(await collect(storage.listByOwner(apiKey.ownerId))).toEqual([sibling]);
      expect(await storage.delete(apiKey.id)).toBe(false);
      await expect(storage.update(apiKey)).rejects.toThrow(ApiKeyNotFoundError);
    });

    it('frees the id and the hash for a new key', async () => {
      const apiKey = await storage.create(newKey());
      await storage.delete(apiKey.id);
      const again = newKey({ id: apiKey.id, keyHash: apiKey.keyHash, name: 'again' });
      expect(await storage.create(again)).toEqual(again);
      expect(await storage.getByHash(apiKey.keyHash)).toEqual(again);
    });
  });

  describe('listByOwner', () => {
    it("lists every key of the owner — active, expired and revoked — and nobody else's", async () => {
      const owner = uniqueName('owner-');
      const mine = [
        newKey({ ownerId: owner }),
        newKey({ ownerId: owner, expiresAt: at('2000-01-01T00:00:00Z') }),
        newKey({ ownerId: owner, revokedAt: at('2030-01-01T00:00:00Z') }),
      ];
      for (const apiKey of mine) await storage.create(apiKey);
      await storage.create(newKey({ ownerId: `${owner}-other` }));
      await storage.create(newKey({ ownerId: owner.toUpperCase() }));
      const listed = await collect(storage.listByOwner(owner));
      expect(sortById(listed)).toEqual(sortById(mine));
      expect(await collect(storage.listByOwner(uniqueName('nobody-')))).toEqual([]);
    });

    it('tells apart owners that differ only in case or accents', async () => {
      const base = uniqueName('jose-');
      const plain = await storage.create(newKey({ ownerId: base }));
      const accented = await storage.create(newKey({ ownerId: base.replace('jose', 'josé') }));
      const upper = await storage.create(newKey({ ownerId: base.replace('jose', 'JOSE') }));
      expect(await collect(storage.listByOwner(plain.ownerId))).toEqual([plain]);
      expect(await collect(storage.listByOwner(accented.ownerId))).toEqual([accented]);
      expect(await collect(storage.listByOwner(upper.ownerId))).toEqual([upper]);
    });

    it(`lists ${PAGE * 20 + 3} keys exactly once each, across many pages`, async () => {
      const owner = uniqueName('big-owner-');
      const keys = Array.from({ length: PAGE * 20 + 3 }, () => newKey({ ownerId: owner }));
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((apiKey) => storage.create(apiKey)));
      }
      const listed = await collect(storage.listByOwner(owner));
      expect(listed).toHaveLength(keys.length);
      expect(sortById(listed)).toEqual(sortById(keys));
    });

    it('stops reading when the caller stops iterating', async () => {
      const owner = uniqueName('owner-');
      for (let i = 0; i < 3; i += 1) await storage.create(newKey({ ownerId: owner }));
      for await (const apiKey of storage.listByOwner(owner)) {
        expect(apiKey.ownerId).toBe(owner);
        break;
      }
      // The storage is still usable afterwards (no leaked cursor or connection).
      expect(await collect(storage.listByOwner(owner))).toHaveLength(3);
    });
  });

  describe('ids, owners and hashes no key can have', () => {
    // PostgreSQL refuses NUL in text with a driver error; the others simply find nothing.
    const impossible = ['a\u0000b', '\u0000', 'x'.repeat(300), 'line\nbreak', 'lone-\ud800'];

    it.each(impossible.map((value) => [JSON.stringify(value).slice(0, 20), value]))(
      '%s: not found by every read, delete and update, never a driver error',
      async (_label, value) => {
        const apiKey = await storage.create(newKey());
        expect(await storage.getById(value)).toBeNull();
        expect(await storage.getByHash(value)).toBeNull();
        expect(await collect(storage.listByOwner(value))).toEqual([]);
        expect(await storage.delete(value)).toBe(false);
        await expect(storage.update({ ...apiKey, id: value })).rejects.toThrow(ApiKeyNotFoundError);
        await expect(touch(storage, value, new Date())).resolves.toBeUndefined();
        // The storage still answers, and nothing stored changed.
        expect(await storage.getById(apiKey.id)).toEqual(apiKey);
      },
    );

    it('ApiKeyService answers not found for them too', async () => {
      const service = new ApiKeyService(storage, {}, { now: () => new Date() });
      for (const value of impossible) {
        await expect(service.revoke(value)).rejects.toThrow(ApiKeyNotFoundError);
        await expect(service.rotate(value)).rejects.toThrow(ApiKeyNotFoundError);
        expect(await service.delete(value)).toBe(false);
        expect(await collect(service.listByOwner(value))).toEqual([]);
      }
    });

    it('ApiKeyService.create refuses them with InvalidApiKeyInputError, storing nothing', async () => {
      const service = new ApiKeyService(storage, {}, { now: () => new Date() });
      const owner = uniqueName('owner-');
      const refused = [
        { name: 'a\u0000b', ownerId: owner, scopes: [] },
        { name: 'ok', ownerId: `${owner}\u0000`, scopes: [] },
        { name: 'ok', ownerId: owner, scopes: ['flags:\u0000read'] },
        { name: 'ok', ownerId: owner, scopes: [], metadata: { note: 'a\u0000b' } },
        { name: 'n'.repeat(256), ownerId: owner, scopes: [] },
        { name: 'ok', ownerId: 'o'.repeat(256), scopes: [] },
        { name: 'ok', ownerId: owner, scopes: [], metadata: { blob: 'x'.repeat(70_000) } },
      ];
      for (const input of refused) {
        await expect(service.create(input)).rejects.toThrow(InvalidApiKeyInputError);
      }
      expect(await collect(storage.listByOwner(owner))).toEqual([]);
      // The largest values every backend stores, read back exactly.
      const { apiKey } = await service.create({
        name: 'ñ'.repeat(255),
        ownerId: `${owner}${'ö'.repeat(255 - owner.length)}`,
        scopes: ['s'.repeat(255)],
        metadata: { blob: 'é'.repeat(30_000) },
      });
      expect(await storage.getById(apiKey.id)).toEqual(apiKey);
      expect(await collect(storage.listByOwner(apiKey.ownerId))).toEqual([apiKey]);
    });
  });

  it('reports healthy while the backend answers', async () => {
    expect(await storage.healthCheck()).toBe(true);
  });
});

describe.each(BACKENDS.filter(([name]) => !/custom/.test(name)))(
  'ApiKeyStorage conformance: %s, values no backend could store',
  (_name, open) => {
    let backend: Backend;

    beforeAll(async () => {
      backend = await open();
    });

    afterAll(() => backend.close());

    it.each<[string, Partial<ApiKey>, string]>([
      ['a NUL in the name', { name: 'ci\u0000' }, 'name'],
      ['a NUL in the owner', { ownerId: 'owner\u0000' }, 'ownerId'],
      ['an owner longer than its column', { ownerId: 'o'.repeat(256) }, 'ownerId'],
      ['a NUL in the id', { id: 'id\u0000' }, 'id'],
      ['a key hash longer than its column', { keyHash: 'f'.repeat(129) }, 'keyHash'],
      ['a NUL in a scope', { scopes: ['a\u0000'] }, 'scopes'],
      ['a NUL in metadata', { metadata: { 'k\u0000': 1 } }, 'metadata'],
      ['metadata over 64 KiB', { metadata: { blob: 'x'.repeat(65_536) } }, 'metadata'],
    ])('create() refuses %s with InvalidApiKeyInputError', async (_case, change, field) => {
      const apiKey = newKey(change);
      await expect(backend.storage.create(apiKey)).rejects.toMatchObject({
        name: 'InvalidApiKeyInputError',
        field,
      });
      expect(await collect(backend.storage.listByOwner(apiKey.ownerId))).toEqual([]);
    });
  },
);

describe.each(BACKENDS.filter(([name]) => !/memory|custom/.test(name)))(
  'ApiKeyStorage conformance: %s, backend unreachable',
  (_name, open) => {
    it('healthCheck resolves false instead of rejecting', async () => {
      const backend = await open();
      try {
        expect(await backend.storage.healthCheck()).toBe(true);
        await backend.sever!();
        await expect(backend.storage.healthCheck()).resolves.toBe(false);
      } finally {
        await backend.close();
      }
    });
  },
);

/** `touch` is optional: without it, usage is recorded the way ApiKeyService does it. */
async function touch(storage: ApiKeyStorage, id: string, lastUsedAt: Date): Promise<void> {
  if (storage.touch) return storage.touch(id, lastUsedAt);
  const current = await storage.getById(id);
  if (current) await storage.update({ ...current, lastUsedAt });
}

function sortById(keys: ApiKey[]): ApiKey[] {
  return [...keys].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
