import { Logger } from '@nestjs/common';
import type { ApiAuthModuleOptions } from './api-auth.options';
import { ExpiredApiKeyError, RevokedApiKeyError } from './api-key.errors';
import { ApiKeyService } from './api-key.service';
import { FakeClock } from './api-key.service.spec-support';
import type { ApiKey } from './models/api-key.model';
import { MemoryApiKeyStorage } from './storage/memory.storage';
import { ApiKeyNotFoundError, ApiKeyVersionConflictError } from './storage/storage.errors';

// create, verify, listing and deleting: api-key.service.spec.ts.
describe('ApiKeyService', () => {
  let storage: MemoryApiKeyStorage;
  let clock: FakeClock;
  let service: ApiKeyService;

  function build(options: ApiAuthModuleOptions = {}): ApiKeyService {
    return new ApiKeyService(storage, options, clock);
  }

  /** Lets the background lastUsedAt write finish (the service awaits it on shutdown). */
  const settle = () => service.beforeApplicationShutdown();

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    storage = new MemoryApiKeyStorage();
    clock = new FakeClock();
    service = build();
  });

  afterEach(() => jest.restoreAllMocks());

  const input = { name: 'ci', ownerId: 'owner-1', scopes: ['flags:read'] };

  describe('revoke', () => {
    it('refuses the key afterwards, for good', async () => {
      const { key, apiKey } = await service.create(input);
      const revoked = await service.revoke(apiKey.id);
      expect(revoked.revokedAt).toEqual(clock.now());
      await expect(service.verify(key)).rejects.toBeInstanceOf(RevokedApiKeyError);

      // A later update carrying the old, unrevoked record is refused as stale; even one that
      // ignores versions cannot re-enable the key.
      clock.advance(60);
      await expect(storage.update({ ...apiKey, revokedAt: null })).rejects.toBeInstanceOf(
        ApiKeyVersionConflictError,
      );
      await storage.update({ ...apiKey, revokedAt: null, version: undefined });
      await expect(service.verify(key)).rejects.toBeInstanceOf(RevokedApiKeyError);
      expect((await service.revoke(apiKey.id)).revokedAt).toEqual(revoked.revokedAt);
    });

    it('throws a typed error for an unknown id', async () => {
      await expect(service.revoke('missing')).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    });
  });

  describe('rotate', () => {
    it('issues a new key now and keeps the old one working for the grace period only', async () => {
      const old = await service.create({ ...input, metadata: { team: 'core' } });
      const rotated = await service.rotate(old.apiKey.id, { gracePeriodSeconds: 300 });

      expect(rotated.key).not.toBe(old.key);
      expect(rotated.apiKey).toMatchObject({
        name: 'ci',
        ownerId: 'owner-1',
        scopes: ['flags:read'],
        metadata: { team: 'core' },
      });
      expect(rotated.apiKey.id).not.toBe(old.apiKey.id);
      expect(rotated.previous.expiresAt).toEqual(new Date(clock.now().getTime() + 300_000));

      clock.advance(299);
      await expect(service.verify(old.key)).resolves.toMatchObject({ id: old.apiKey.id });
      await expect(service.verify(rotated.key)).resolves.toMatchObject({
        id: rotated.apiKey.id,
      });
      clock.advance(1);
      await expect(service.verify(old.key)).rejects.toBeInstanceOf(ExpiredApiKeyError);
      await expect(service.verify(rotated.key)).resolves.toMatchObject({
        id: rotated.apiKey.id,
      });
    });

    it('stops the old key at once without a grace period', async () => {
      const old = await service.create(input);
      const rotated = await service.rotate(old.apiKey.id);
      await expect(service.verify(old.key)).rejects.toBeInstanceOf(ExpiredApiKeyError);
      await expect(service.verify(rotated.key)).resolves.toBeDefined();
    });

    it('never extends the old key past its own expiry, and the new key inherits it', async () => {
      const expiresAt = new Date(clock.now().getTime() + 60_000);
      const old = await service.create({ ...input, expiresAt });
      const rotated = await service.rotate(old.apiKey.id, { gracePeriodSeconds: 3600 });
      expect(rotated.previous.expiresAt).toEqual(expiresAt);
      expect(rotated.apiKey.expiresAt).toEqual(expiresAt);
    });

    it('refuses to rotate revoked or unknown keys, and negative grace periods', async () => {
      const { apiKey } = await service.create(input);
      for (const gracePeriodSeconds of [-1, Number.NaN, Infinity, 1e15]) {
        await expect(service.rotate(apiKey.id, { gracePeriodSeconds })).rejects.toMatchObject({
          name: 'InvalidApiKeyInputError',
          field: 'gracePeriodSeconds',
        });
      }
      expect(await collect(service.listByOwner('owner-1'))).toHaveLength(1);
      await service.revoke(apiKey.id);
      await expect(service.rotate(apiKey.id)).rejects.toBeInstanceOf(RevokedApiKeyError);
      await expect(service.rotate('missing')).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    });

    it('removes the new key again when retiring the old one fails', async () => {
      const { apiKey } = await service.create(input);
      jest.spyOn(storage, 'update').mockRejectedValueOnce(new Error('write failed'));
      await expect(service.rotate(apiKey.id, { gracePeriodSeconds: 60 })).rejects.toThrow(
        'write failed',
      );
      const keys = await collect(service.listByOwner('owner-1'));
      expect(keys.map((k) => k.id)).toEqual([apiKey.id]);
      expect(keys[0].expiresAt).toBeNull();
    });
  });

  describe('lastUsedAt', () => {
    const lastUsed = async (id: string) => (await storage.getById(id))!.lastUsedAt;

    it('is recorded on use, at most once per interval', async () => {
      const { key, apiKey } = await service.create(input);
      const first = clock.now();
      await service.verify(key);
      await settle();
      expect(await lastUsed(apiKey.id)).toEqual(first);

      clock.advance(59);
      await service.verify(key);
      await settle();
      expect(await lastUsed(apiKey.id)).toEqual(first);

      clock.advance(1);
      await service.verify(key);
      await settle();
      expect(await lastUsed(apiKey.id)).toEqual(clock.now());
    });

    it('follows the configured interval (0 = every use)', async () => {
      service = build({ lastUsedInterval: 0 });
      const { key, apiKey } = await service.create(input);
      await service.verify(key);
      clock.advance(1);
      await service.verify(key);
      await settle();
      expect(await lastUsed(apiKey.id)).toEqual(clock.now());
    });

    it('falls back to getById + update for storages without touch()', async () => {
      const { key, apiKey } = await service.create(input);
      Object.defineProperty(storage, 'touch', { value: undefined });
      const update = jest.spyOn(storage, 'update');
      await service.verify(key);
      await settle();
      expect(update).toHaveBeenCalledTimes(1);
      expect(await lastUsed(apiKey.id)).toEqual(clock.now());
    });

    it('never fails verification when recording the use fails', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { key, apiKey } = await service.create(input);
      jest.spyOn(storage, 'touch').mockRejectedValue(new Error('redis://u:hunter2@db down'));
      await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
      await settle();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(apiKey.id));
      expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('hunter2'));
    });

    it('does not even fail when the storage throws synchronously', async () => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { key } = await service.create(input);
      jest.spyOn(storage, 'touch').mockImplementation(() => {
        throw new Error('boom');
      });
      await expect(service.verify(key)).resolves.toBeDefined();
      await settle();
    });
  });
});

async function collect(iterable: AsyncIterable<ApiKey>): Promise<ApiKey[]> {
  const out: ApiKey[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
