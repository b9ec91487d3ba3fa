import { GatekeeperConfigError } from '@gatekeeper/common';
import type { ModuleRef } from '@nestjs/core';
import type { ApiAuthModuleOptions } from '../api-auth.options';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { MemoryApiKeyStorage } from './memory.storage';
import { createApiKeyStorage, validateStorageOptions } from './storage.factory';

const moduleRef = {
  create: async <T>(type: new () => T): Promise<T> => new type(),
} as unknown as ModuleRef;

describe('createApiKeyStorage', () => {
  it('builds a memory storage by default and closes it', async () => {
    const handle = await createApiKeyStorage({}, moduleRef);
    expect(handle.storage).toBeInstanceOf(MemoryApiKeyStorage);
    const close = jest.spyOn(handle.storage, 'close');
    await handle.close();
    expect(close).toHaveBeenCalled();
  });

  it('uses a custom storage instance as is and leaves it open', async () => {
    const storage = new MemoryApiKeyStorage();
    const close = jest.spyOn(storage, 'close');
    const handle = await createApiKeyStorage({ storage, backend: 'redis' }, moduleRef);
    expect(handle.storage).toBe(storage);
    await handle.close();
    expect(close).not.toHaveBeenCalled();
  });

  it('builds a custom storage class and closes it, since it created it', async () => {
    class CustomStorage extends MemoryApiKeyStorage {}
    const handle = await createApiKeyStorage({ storage: CustomStorage }, moduleRef);
    expect(handle.storage).toBeInstanceOf(CustomStorage);
    const close = jest.spyOn(handle.storage, 'close');
    await handle.close();
    expect(close).toHaveBeenCalled();
  });
});

describe('validateStorageOptions', () => {
  it.each<[ApiAuthModuleOptions, RegExp]>([
    [{ backend: 'mongo' as never }, /backend must be one of 'memory', 'database', 'redis'/],
    [
      { backend: 'database' },
      /connectionString or dataSource is required when backend is 'database'/,
    ],
    [{ backend: 'redis' }, /redisUrl or redis is required when backend is 'redis'/],
    [{ backend: 'redis', redisUrl: '' }, /redisUrl must be/],
    [{ connectionString: 'sqlite::memory:' }, /only read when backend is 'database'/],
    [{ redisUrl: 'redis://localhost' }, /only read when backend is 'redis' or cache is set/],
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
    expect(() => validateStorageOptions(options)).toThrow(GatekeeperConfigError);
    expect(() => validateStorageOptions(options)).toThrow(message);
  });

  it('never echoes a connection string', () => {
    const secret = 'postgres://app:hunter2@db/app';
    expect(() => validateStorageOptions({ connectionString: secret })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('accepts complete configurations', () => {
    expect(() => validateStorageOptions({})).not.toThrow();
    expect(() =>
      validateStorageOptions({ backend: 'database', connectionString: 'sqlite::memory:' }),
    ).not.toThrow();
    expect(() =>
      validateStorageOptions({ backend: 'redis', redisUrl: 'redis://localhost:6379/0' }),
    ).not.toThrow();
  });
});
