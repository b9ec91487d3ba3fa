import type { ApiKey } from '../models/api-key.model';
import { MemoryApiKeyStorage } from './memory.storage';
import { ApiKeyAlreadyExistsError, ApiKeyNotFoundError } from './storage.errors';

function apiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'k1',
    name: 'ci',
    ownerId: 'owner-1',
    prefix: 'sk_abcdef',
    keyHash: 'hash-1',
    scopes: ['flags:read'],
    metadata: { team: 'core' },
    createdAt: new Date('2030-01-01T00:00:00Z'),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

async function collect(iterable: AsyncIterable<ApiKey>): Promise<ApiKey[]> {
  const out: ApiKey[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('MemoryApiKeyStorage', () => {
  let storage: MemoryApiKeyStorage;

  beforeEach(() => {
    storage = new MemoryApiKeyStorage();
  });

  it('finds a created key by hash and by id', async () => {
    await storage.create(apiKey());
    expect(await storage.getByHash('hash-1')).toEqual(apiKey());
    expect(await storage.getById('k1')).toEqual(apiKey());
    expect(await storage.getByHash('nope')).toBeNull();
    expect(await storage.getById('nope')).toBeNull();
  });

  it('hands out copies, so callers cannot change what is stored', async () => {
    const input = apiKey();
    const created = await storage.create(input);
    input.scopes.push('admin');
    created.scopes.push('admin');
    (await storage.getById('k1'))!.metadata.team = 'changed';
    expect(await storage.getById('k1')).toEqual(apiKey());
  });

  it('refuses a duplicate id or hash with a typed error', async () => {
    await storage.create(apiKey());
    await expect(storage.create(apiKey({ keyHash: 'other' }))).rejects.toMatchObject({
      constructor: ApiKeyAlreadyExistsError,
      field: 'id',
    });
    await expect(storage.create(apiKey({ id: 'k2' }))).rejects.toMatchObject({
      constructor: ApiKeyAlreadyExistsError,
      field: 'keyHash',
    });
  });

  it('replaces mutable fields on update and keeps identity fields', async () => {
    await storage.create(apiKey());
    const expiresAt = new Date('2031-01-01T00:00:00Z');
    const updated = await storage.update(
      apiKey({
        name: 'renamed',
        scopes: ['flags:write'],
        metadata: {},
        expiresAt,
        keyHash: 'forged',
        ownerId: 'someone-else',
      }),
    );
    expect(updated).toMatchObject({ name: 'renamed', scopes: ['flags:write'], expiresAt });
    expect(updated).toMatchObject({ keyHash: 'hash-1', ownerId: 'owner-1' });
    expect(await storage.getByHash('forged')).toBeNull();
  });

  it('never clears or moves revokedAt once set', async () => {
    await storage.create(apiKey());
    const revokedAt = new Date('2030-02-01T00:00:00Z');
    await storage.update(apiKey({ revokedAt }));
    expect((await storage.update(apiKey({ revokedAt: null }))).revokedAt).toEqual(revokedAt);
    const later = new Date('2030-03-01T00:00:00Z');
    expect((await storage.update(apiKey({ revokedAt: later }))).revokedAt).toEqual(revokedAt);
  });

  it('only moves lastUsedAt forward, through update and touch', async () => {
    await storage.create(apiKey());
    const t1 = new Date('2030-01-02T00:00:00Z');
    const t0 = new Date('2030-01-01T12:00:00Z');
    await storage.update(apiKey({ lastUsedAt: t1 }));
    expect((await storage.update(apiKey({ lastUsedAt: t0 }))).lastUsedAt).toEqual(t1);
    expect((await storage.update(apiKey({ lastUsedAt: null }))).lastUsedAt).toEqual(t1);
    await storage.touch('k1', t0);
    expect((await storage.getById('k1'))!.lastUsedAt).toEqual(t1);
    const t2 = new Date('2030-01-03T00:00:00Z');
    await storage.touch('k1', t2);
    expect((await storage.getById('k1'))!.lastUsedAt).toEqual(t2);
    await expect(storage.touch('missing', t2)).resolves.toBeUndefined();
  });

  it('throws a typed error when updating a missing key', async () => {
    await expect(storage.update(apiKey())).rejects.toBeInstanceOf(ApiKeyNotFoundError);
  });

  it('deletes by id and frees the hash', async () => {
    await storage.create(apiKey());
    expect(await storage.delete('k1')).toBe(true);
    expect(await storage.delete('k1')).toBe(false);
    expect(await storage.getByHash('hash-1')).toBeNull();
  });

  it('lists the keys of one owner', async () => {
    await storage.create(apiKey());
    await storage.create(apiKey({ id: 'k2', keyHash: 'hash-2' }));
    await storage.create(apiKey({ id: 'k3', keyHash: 'hash-3', ownerId: 'owner-2' }));
    const ids = (await collect(storage.listByOwner('owner-1'))).map((k) => k.id);
    expect(ids.sort()).toEqual(['k1', 'k2']);
    expect(await collect(storage.listByOwner('nobody'))).toEqual([]);
  });

  it('is always healthy', async () => {
    expect(await storage.healthCheck()).toBe(true);
  });
});
