import { GatekeeperConfigError, TurnClock } from '@gatekeeper/common';
import type { ModuleRef } from '@nestjs/core';
import { validateApiAuthStorageOptions, type ApiAuthModuleOptions } from '../api-auth.options';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { MemoryApiKeyStorage } from './memory.storage';
import { createApiKeyStorage } from './storage.factory';

const clock = new TurnClock();
const moduleRef = {
  create: async <T>(type: new () => T): Promise<T> => new type(),
} as unknown as ModuleRef;

describe('createApiKeyStorage', () => {
  it('builds a memory storage by default and closes it', async () => {
    const handle = await createApiKeyStorage({}, moduleRef, clock);
    expect(handle.storage).toBeInstanceOf(MemoryApiKeyStorage);
    const close = jest.spyOn(handle.storage, 'close');
    await handle.close();
    expect(close).toHaveBeenCalled();
  });

  it('uses a custom storage instance as is and leaves it open', async () => {
    const storage = new MemoryApiKeyStorage();
    const close = jest.spyOn(storage, 'close');
    const handle = await createApiKeyStorage({ storage, backend: 'redis' }, moduleRef, clock);
    expect(handle.storage).toBe(storage);
    await handle.close();
    expect(close).not.toHaveBeenCalled();
  });

  it('builds a custom storage class and closes it, since it created it', async () => {
    class CustomStorage extends MemoryApiKeyStorage {}
    const handle = await createApiKeyStorage({ storage: CustomStorage }, moduleRef, clock);
    expect(handle.storage).toBeInstanceOf(CustomStorage);
    const close = jest.spyOn(handle.storage, 'close');
    await handle.close();
    expect(close).toHaveBeenCalled();
  });
});

describe('validateApiAuthStorageOptions', () => {
  it.each<[ApiAuthModuleOptions, RegExp]>([
    [{ backend: 'mongo' as never }, /backend must be 'memory', 'database' or 'redis'/],
    [
      { backend: 'database' },
      /connectionString or dataSource is required when backend is 'database'/,
    ],
    [{ backend: 'redis' }, /redisUrl or redis is required when backend is 'redis'/],
    [{ backend: 'redis', redisUrl: '' }, /redisUrl must be/],
    [
      { connectionString: 'sqlite::memory:' },
      /connectionString only applies to the 'database' backend, but backend is 'memory'/,
    ],
    [
      { redisUrl: 'redis://localhost' },
      /redisUrl only applies to the 'redis' backend \(or with cache or localCache\)/,
    ],
    [
      { backend: 'database', connectionString: 'sqlite::memory:', tablePrefix: 'p'.repeat(33) },
      /at most 32 characters/,
    ],
    [{ backend: 'database', connectionString: 'sqlite::memory:', cache: { ttl: 0 } }, /cache.ttl/],
    [
      { backend: 'database', connectionString: 'sqlite::memory:', cache: { ttl: 60 } },
      /cache needs redisUrl or redis/,
    ],
    [
      { backend: 'database', connectionString: 'sqlite:a.db', tablePrefix: 'x; DROP' },
      /tablePrefix/,
    ],
    [
      { storage: { getByHash: () => null } as unknown as ApiKeyStorage },
      /missing: getById, create/,
    ],
  ])('rejects %p', (options, message) => {
    expect(() => validateApiAuthStorageOptions(options)).toThrow(GatekeeperConfigError);
    expect(() => validateApiAuthStorageOptions(options)).toThrow(message);
  });

  it('never echoes a connection string', () => {
    const secret = 'postgres://app:hunter2@db/app';
    expect(() => validateApiAuthStorageOptions({ connectionString: secret })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('accepts complete configurations', () => {
    expect(() => validateApiAuthStorageOptions({})).not.toThrow();
    expect(() =>
      validateApiAuthStorageOptions({ backend: 'database', connectionString: 'sqlite::memory:' }),
    ).not.toThrow();
    expect(() =>
      validateApiAuthStorageOptions({ backend: 'redis', redisUrl: 'redis://localhost:6379/0' }),
    ).not.toThrow();
  });
});
