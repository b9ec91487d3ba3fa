import { Logger } from '@nestjs/common';
import type { ApiAuthModuleOptions } from './api-auth.options';
import {
  ExpiredApiKeyError,
  InvalidApiKeyError,
  InvalidApiKeyInputError,
  MalformedApiKeyError,
  RevokedApiKeyError,
  UnknownApiKeyError,
} from './api-key.errors';
import { generateApiKey } from './api-key.format';
import { hashApiKey } from './api-key.hashing';
import { ApiKeyService } from './api-key.service';
import { FakeClock } from './api-key.service.spec-support';
import type { ApiKey } from './models/api-key.model';
import { MemoryApiKeyStorage } from './storage/memory.storage';
import { LocalCacheApiKeyStorage } from './storage/local-cache.storage';

// revoke, rotate and lastUsedAt: api-key.service.lifecycle.spec.ts.
describe('ApiKeyService', () => {
  let storage: MemoryApiKeyStorage;
  let clock: FakeClock;
  let service: ApiKeyService;

  function build(options: ApiAuthModuleOptions = {}): ApiKeyService {
    return new ApiKeyService(storage, options, clock);
  }

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    storage = new MemoryApiKeyStorage();
    clock = new FakeClock();
    service = build();
  });

  afterEach(() => jest.restoreAllMocks());

  const input = { name: 'ci', ownerId: 'owner-1', scopes: ['flags:read'] };

  describe('create', () => {
    it('returns the plaintext key once and stores only its hash and a display prefix', async () => {
      const { key, apiKey } = await service.create({ ...input, metadata: { team: 'core' } });
      expect(key).toMatch(/^sk_[0-9A-Za-z]{38}$/);
      expect(apiKey).toMatchObject({
        name: 'ci',
        ownerId: 'owner-1',
        scopes: ['flags:read'],
        metadata: { team: 'core' },
        prefix: key.slice(0, 9),
        keyHash: hashApiKey(key),
        createdAt: clock.now(),
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
      });
      const stored = await storage.getById(apiKey.id);
      expect(JSON.stringify(stored)).not.toContain(key.slice(9));
    });

    it('uses the configured key prefix', async () => {
      service = build({ keyPrefix: 'acme_' });
      const { key } = await service.create(input);
      expect(key.startsWith('acme_')).toBe(true);
      await expect(service.verify(key)).resolves.toMatchObject({ ownerId: 'owner-1' });
    });

    it('stores HMAC-SHA256 with the pepper, and keys do not verify under another pepper', async () => {
      service = build({ pepper: 'pepper-1' });
      const { key, apiKey } = await service.create(input);
      expect(apiKey.keyHash).toBe(hashApiKey(key, 'pepper-1'));
      await expect(build({ pepper: 'pepper-2' }).verify(key)).rejects.toBeInstanceOf(
        UnknownApiKeyError,
      );
      await expect(build().verify(key)).rejects.toBeInstanceOf(UnknownApiKeyError);
    });

    it('rejects invalid input', async () => {
      await expect(service.create({ ...input, name: '' })).rejects.toThrow(/name/);
      await expect(service.create({ ...input, ownerId: ' ' })).rejects.toThrow(/ownerId/);
      await expect(service.create({ ...input, scopes: ['has space'] })).rejects.toThrow(/scope/);
      await expect(service.create({ ...input, expiresAt: clock.now() })).rejects.toThrow(/future/);
      await expect(service.create({ ...input, expiresAt: new Date('nope') })).rejects.toThrow(
        /expiresAt/,
      );
    });

    const deep = (levels: number): Record<string, unknown> =>
      levels === 0 ? {} : { next: deep(levels - 1) };

    it.each<[string, Partial<Record<keyof typeof input | 'metadata', unknown>>, string]>([
      ['a NUL in the name', { name: 'ci\u0000key' }, 'name'],
      ['a line break in the name', { name: 'ci\nkey' }, 'name'],
      ['a name of 256 characters', { name: 'n'.repeat(256) }, 'name'],
      ['a NUL in the owner', { ownerId: 'owner\u0000' }, 'ownerId'],
      ['an owner of 256 characters', { ownerId: 'o'.repeat(256) }, 'ownerId'],
      ['a lone surrogate in the owner', { ownerId: 'owner-\ud800' }, 'ownerId'],
      ['a NUL in a scope', { scopes: ['flags:\u0000read'] }, 'scopes'],
      ['a scope of 256 characters', { scopes: ['s'.repeat(256)] }, 'scopes'],
      ['a scope that is not a string', { scopes: [42] }, 'scopes'],
      [
        'scopes over 64 KiB of JSON',
        { scopes: Array.from({ length: 300 }, (_, i) => `${i}${'s'.repeat(250)}`) },
        'scopes',
      ],
      ['a NUL in a metadata value', { metadata: { note: 'a\u0000b' } }, 'metadata'],
      ['a NUL in a metadata key', { metadata: { 'a\u0000b': 1 } }, 'metadata'],
      ['metadata nested 33 levels deep', { metadata: deep(33) }, 'metadata'],
      ['metadata over 64 KiB of JSON', { metadata: { blob: 'x'.repeat(65_536) } }, 'metadata'],
      ['metadata that is not JSON', { metadata: { at: new Map() } }, 'metadata'],
      ['an array as metadata', { metadata: [] }, 'metadata'],
    ])('refuses %s with InvalidApiKeyInputError, storing nothing', async (_case, change, field) => {
      const error = await service
        .create({ ...input, ...change } as Parameters<ApiKeyService['create']>[0])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidApiKeyInputError);
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ field, name: 'InvalidApiKeyInputError' });
      expect((error as Error).message.startsWith(`${field} `)).toBe(true);
      const owner = typeof change.ownerId === 'string' ? change.ownerId : input.ownerId;
      expect(await collect(storage.listByOwner(owner))).toEqual([]);
    });

    it('accepts values at the limits: 255-character labels, unicode, 32 levels of metadata', async () => {
      const { apiKey } = await service.create({
        name: `${'n'.repeat(253)}🚀`,
        ownerId: 'ö'.repeat(255),
        scopes: ['s'.repeat(255), 'flags:*'],
        metadata: { nested: deep(30), tab: 'a\tb' },
      });
      expect(await storage.getById(apiKey.id)).toEqual(apiKey);
    });
  });

  describe('verify', () => {
    it('refuses a malformed key without touching storage', async () => {
      const getByHash = jest.spyOn(storage, 'getByHash');
      const { key } = await service.create(input);
      const broken = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
      await expect(service.verify(broken)).rejects.toBeInstanceOf(MalformedApiKeyError);
      await expect(service.verify('')).rejects.toBeInstanceOf(MalformedApiKeyError);
      await expect(service.verify('x'.repeat(8192))).rejects.toBeInstanceOf(MalformedApiKeyError);
      const foreign = service.verify(generateApiKey('pk_'));
      await expect(foreign).rejects.toBeInstanceOf(MalformedApiKeyError);
      expect(getByHash).not.toHaveBeenCalled();
    });

    it('gives malformed and unknown keys the same code and message', async () => {
      const malformed = await service.verify('sk_nope').catch((e: unknown) => e);
      const unknown = await service.verify(generateApiKey()).catch((e: unknown) => e);
      expect(malformed).toBeInstanceOf(InvalidApiKeyError);
      expect(unknown).toBeInstanceOf(UnknownApiKeyError);
      expect(unknown).toBeInstanceOf(InvalidApiKeyError);
      const visible = (e: unknown) => ({
        code: (e as InvalidApiKeyError).code,
        message: (e as Error).message,
      });
      expect(visible(unknown)).toEqual(visible(malformed));
    });

    it('refuses a key once its expiry passes', async () => {
      const expiresAt = new Date(clock.now().getTime() + 3600_000);
      const { key, apiKey } = await service.create({ ...input, expiresAt });
      clock.advance(3599);
      await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
      clock.advance(1);
      await expect(service.verify(key)).rejects.toEqual(new ExpiredApiKeyError(apiKey.id));
    });

    it('lets storage failures through untouched (the guard turns them into 503)', async () => {
      const { key } = await service.create(input);
      const failure = new Error('connection refused');
      jest.spyOn(storage, 'getByHash').mockRejectedValue(failure);
      await expect(service.verify(key)).rejects.toBe(failure);
    });
  });

  describe('verify through the local cache', () => {
    let cache: LocalCacheApiKeyStorage;
    let cacheNow: number;

    beforeEach(() => {
      cacheNow = 0;
      cache = new LocalCacheApiKeyStorage(storage, { ttl: 5, now: () => cacheNow });
      service = new ApiKeyService(cache, {}, clock);
    });

    afterEach(() => cache.close());

    it('reads the storage once per key until the cache ttl passes', async () => {
      const { key, apiKey } = await service.create(input);
      const reads = jest.spyOn(storage, 'getByHash');
      for (let i = 0; i < 3; i++) {
        await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
      }
      expect(reads).toHaveBeenCalledTimes(1);
      cacheNow += 5_000;
      await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
      expect(reads).toHaveBeenCalledTimes(2);
    });

    it('refuses a cached key that has expired since, and a revoked one', async () => {
      const expiring = await service.create({
        ...input,
        expiresAt: new Date('2030-01-01T01:00:00Z'),
      });
      await service.verify(expiring.key);
      clock.advance(3600);
      await expect(service.verify(expiring.key)).rejects.toBeInstanceOf(ExpiredApiKeyError);

      const { key, apiKey } = await service.create(input);
      await service.verify(key);
      await service.revoke(apiKey.id);
      await expect(service.verify(key)).rejects.toBeInstanceOf(RevokedApiKeyError);
    });
  });

  it('lists and deletes keys by owner', async () => {
    const a = await service.create(input);
    const b = await service.create(input);
    await service.create({ ...input, ownerId: 'owner-2' });
    const ids = (await collect(service.listByOwner('owner-1'))).map((k) => k.id);
    expect(ids.sort()).toEqual([a.apiKey.id, b.apiKey.id].sort());
    expect(await service.delete(a.apiKey.id)).toBe(true);
    expect(await service.delete(a.apiKey.id)).toBe(false);
    await expect(service.verify(a.key)).rejects.toBeInstanceOf(UnknownApiKeyError);
  });
});

async function collect(iterable: AsyncIterable<ApiKey>): Promise<ApiKey[]> {
  const out: ApiKey[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
