import type { ModuleRef } from '@nestjs/core';
import { GatekeeperConfigError, TurnClock } from '@gatekeeper/common';
import {
  validateFeatureFlagsOptions,
  type FeatureFlagsModuleOptions,
} from '../feature-flags.options';
import { LocalCacheFeatureFlagStorage } from './local-cache.storage';
import { MemoryFeatureFlagStorage } from './memory.storage';
import { createFeatureFlagStorage } from './storage.factory';

const moduleRef = {
  create: async <T>(type: new () => T): Promise<T> => new type(),
} as unknown as ModuleRef;

describe('createFeatureFlagStorage', () => {
  it('closes the storages it built and leaves an instance it was given open', async () => {
    const built = await createFeatureFlagStorage({}, moduleRef, new TurnClock());
    const closeBuilt = jest.spyOn(built.storage, 'close');
    await built.close();
    expect(closeBuilt).toHaveBeenCalled();

    const given = new MemoryFeatureFlagStorage();
    const closeGiven = jest.spyOn(given, 'close');
    const handle = await createFeatureFlagStorage({ storage: given }, moduleRef, new TurnClock());
    expect(handle.storage).toBe(given);
    await handle.close();
    expect(closeGiven).not.toHaveBeenCalled();
  });

  it('closes its local cache but not the instance the cache wraps', async () => {
    const given = new MemoryFeatureFlagStorage();
    const closeGiven = jest.spyOn(given, 'close');
    const handle = await createFeatureFlagStorage(
      { storage: given, localCache: { ttl: 30 } },
      moduleRef,
      new TurnClock(),
    );
    expect(handle.storage).toBeInstanceOf(LocalCacheFeatureFlagStorage);
    const closeCache = jest.spyOn(handle.storage, 'close');
    await handle.close();
    expect(closeCache).toHaveBeenCalled();
    expect(closeGiven).not.toHaveBeenCalled();
  });

  it("ages the local cache's entries by the clock it is given", async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const inner = new MemoryFeatureFlagStorage();
    const handle = await createFeatureFlagStorage(
      { storage: inner, localCache: { ttl: 30 } },
      moduleRef,
      { now: () => now },
    );
    const flag = await inner.createFlag({ key: 'beta', defaultEnabled: false });
    expect((await handle.storage.getFlag('beta'))?.defaultEnabled).toBe(false);
    // Changed behind the cache's back: no invalidation, only the ttl reveals it.
    await inner.updateFlag({ ...flag, defaultEnabled: true });
    now += 29_000;
    expect((await handle.storage.getFlag('beta'))?.defaultEnabled).toBe(false);
    now += 1_000;
    expect((await handle.storage.getFlag('beta'))?.defaultEnabled).toBe(true);
    await handle.close();
  });
});

describe('validateFeatureFlagsOptions', () => {
  it.each<[string, FeatureFlagsModuleOptions]>([
    ['nothing (memory)', {}],
    ['memory', { backend: 'memory', defaultContext: { environment: 'test' } }],
    [
      'database by URL',
      { backend: 'database', connectionString: 'sqlite::memory:', tablePrefix: 'app_ff_' },
    ],
    ['redis by URL', { backend: 'redis', redisUrl: 'redis://localhost:6379/0', redisPrefix: 'x:' }],
    [
      'a Redis for the invalidations of a cached database',
      {
        backend: 'database',
        connectionString: 'sqlite::memory:',
        redisUrl: 'redis://localhost',
        localCache: { ttl: 5 },
      },
    ],
    [
      'a custom storage with stray backend options',
      { storage: new MemoryFeatureFlagStorage(), redisUrl: 'redis://x' },
    ],
  ])('accepts %s', (_name, options) => {
    expect(() => validateFeatureFlagsOptions(options)).not.toThrow();
  });

  it.each<[FeatureFlagsModuleOptions, RegExp]>([
    [
      { backend: 'mongo' as never },
      /backend must be 'memory', 'database' or 'redis' \(got "mongo"\)/,
    ],
    [{ backend: 'redis' }, /redisUrl or redis is required when backend is 'redis'/],
    [
      { backend: 'database' },
      /connectionString or dataSource is required when backend is 'database'/,
    ],
    [
      { backend: 'redis', redisUrl: 'redis://a', redis: {} as never },
      /either redisUrl or redis, not both/,
    ],
    [{ backend: 'redis', redisUrl: '' }, /redisUrl must be .* URL \(a non-empty string\)/],
    [
      { redisUrl: 'redis://localhost' },
      /redisUrl only applies to the 'redis' backend \(or with localCache\), but backend is 'memory'/,
    ],
    [
      { backend: 'redis', redisUrl: 'redis://a', tablePrefix: 'x_' },
      /tablePrefix only applies to the 'database' backend/,
    ],
    [
      { backend: 'database', connectionString: 'sqlite::memory:', tablePrefix: 'ff-; drop' },
      /tablePrefix may only contain/,
    ],
    [
      { backend: 'database', connectionString: 'sqlite::memory:', tablePrefix: 'p'.repeat(33) },
      /at most 32 characters/,
    ],
    [
      { backend: 'database', connectionString: 'sqlite::memory:', createTables: 'yes' as never },
      /createTables must be true or false/,
    ],
    [{ localCache: { ttl: 5 } }, /localCache applies to the 'database' and 'redis' backends/],
    [{ storage: {} as never }, /storage option must implement FeatureFlagStorage; missing: /],
    [{ contextResolver: 'user.id' as never }, /contextResolver must be a function/],
    [{ defaultContext: 'prod' as never }, /defaultContext must be an EvaluationContext object/],
  ])('rejects %j with a message saying what to change', (options, message) => {
    expect(() => validateFeatureFlagsOptions(options)).toThrow(GatekeeperConfigError);
    expect(() => validateFeatureFlagsOptions(options)).toThrow(message);
  });
});
