import type { ApiKey } from '../models/api-key.model';
import { MemoryApiKeyStorage } from './memory.storage';
import { LocalCacheApiKeyStorage } from './local-cache.storage';
import { ApiKeyReplicationError } from './storage.errors';

function apiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'id-1',
    name: 'ci',
    ownerId: 'owner-1',
    prefix: 'sk_abc',
    keyHash: 'hash-1',
    scopes: ['flags:read'],
    metadata: { team: 'platform' },
    createdAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

describe('LocalCacheApiKeyStorage', () => {
  let inner: MemoryApiKeyStorage;
  let reads: jest.SpyInstance;
  let now: number;
  let storage: LocalCacheApiKeyStorage;

  beforeEach(async () => {
    inner = new MemoryApiKeyStorage();
    await inner.create(apiKey());
    reads = jest.spyOn(inner, 'getByHash');
    now = 0;
    storage = new LocalCacheApiKeyStorage(inner, { ttl: 5, now: () => now });
  });

  it('answers repeated lookups of a key from memory until the ttl passes', async () => {
    for (let i = 0; i < 3; i++)
      expect(await storage.getByHash('hash-1')).toMatchObject({ id: 'id-1' });
    expect(reads).toHaveBeenCalledTimes(1);
    now += 5_000;
    await storage.getByHash('hash-1');
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('never caches an unknown key, so a key created elsewhere works at once', async () => {
    expect(await storage.getByHash('hash-2')).toBeNull();
    await inner.create(apiKey({ id: 'id-2', keyHash: 'hash-2' }));
    expect(await storage.getByHash('hash-2')).toMatchObject({ id: 'id-2' });
  });

  it('drops a key revoked or deleted through it', async () => {
    const cached = (await storage.getByHash('hash-1'))!;
    await storage.update({ ...cached, revokedAt: new Date() });
    expect((await storage.getByHash('hash-1'))?.revokedAt).toBeInstanceOf(Date);

    await storage.delete('id-1');
    expect(await storage.getByHash('hash-1')).toBeNull();
  });

  it('drops a key whose revocation was applied but not confirmed by a replica', async () => {
    // What a Redis primary whose only replica stopped answering does: the write is in, the call
    // rejects (see "Replication: what a write waits for").
    jest.spyOn(inner, 'update').mockImplementation(async (changed) => {
      await MemoryApiKeyStorage.prototype.update.call(inner, changed);
      throw new ApiKeyReplicationError(changed.id, 1000);
    });
    jest.spyOn(inner, 'delete').mockImplementation(async (id) => {
      await MemoryApiKeyStorage.prototype.delete.call(inner, id);
      throw new ApiKeyReplicationError(id, 1000);
    });
    const cached = (await storage.getByHash('hash-1'))!;
    await expect(storage.update({ ...cached, revokedAt: new Date() })).rejects.toThrow(
      ApiKeyReplicationError,
    );
    expect((await storage.getByHash('hash-1'))?.revokedAt).toBeInstanceOf(Date);

    await expect(storage.delete('id-1')).rejects.toThrow(ApiKeyReplicationError);
    expect(await storage.getByHash('hash-1')).toBeNull();
  });

  it('hands out copies that callers may mutate', async () => {
    const first = (await storage.getByHash('hash-1'))!;
    first.scopes.push('admin');
    first.metadata.team = 'mutated';
    first.createdAt.setFullYear(1999);
    const second = (await storage.getByHash('hash-1'))!;
    expect(second.scopes).toEqual(['flags:read']);
    expect(second.metadata).toEqual({ team: 'platform' });
    expect(second.createdAt.getUTCFullYear()).toBe(2026);
  });

  it('hands out what the storage returned, extra fields of a custom storage included, as copies', async () => {
    // A fresh record per read, as a storage that deserialises would return.
    const records: Record<string, () => ApiKey> = {
      'hash-1': () => apiKey({ revokedAt: new Date('2026-03-01T00:00:00Z'), version: 3 }),
      'hash-2': () => ({ ...apiKey({ id: 'id-2', keyHash: 'hash-2' }), tenant: { id: 't-1' } }),
    };
    const source = Object.assign(new MemoryApiKeyStorage(), {
      getByHash: (keyHash: string) => Promise.resolve(records[keyHash]?.() ?? null),
    });
    storage = new LocalCacheApiKeyStorage(source, { ttl: 5, now: () => now });
    for (const [keyHash, record] of Object.entries(records)) {
      expect(await storage.getByHash(keyHash)).toEqual(record()); // the miss
      const hit = (await storage.getByHash(keyHash)) as ApiKey & { tenant?: { id: string } };
      expect(hit).toEqual(record());
      if (hit.tenant) hit.tenant.id = 'mutated';
      hit.revokedAt?.setFullYear(1999);
      hit.scopes.push('admin');
      expect(await storage.getByHash(keyHash)).toEqual(record());
    }
  });

  it('passes usage tracking through without invalidating', async () => {
    await storage.getByHash('hash-1');
    await storage.touch!('id-1', new Date('2026-02-01T00:00:00Z'));
    expect((await inner.getById('id-1'))?.lastUsedAt).toEqual(new Date('2026-02-01T00:00:00Z'));
    await storage.getByHash('hash-1');
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('keeps at most maxEntries keys', async () => {
    storage = new LocalCacheApiKeyStorage(inner, { ttl: 5, maxEntries: 2, now: () => now });
    for (let i = 2; i <= 4; i++) {
      await inner.create(apiKey({ id: `id-${i}`, keyHash: `hash-${i}` }));
      await storage.getByHash(`hash-${i}`);
    }
    reads.mockClear();
    await storage.getByHash('hash-4');
    await storage.getByHash('hash-3');
    expect(reads).toHaveBeenCalledTimes(0);
    await storage.getByHash('hash-2');
    expect(reads).toHaveBeenCalledTimes(1);
  });
});
