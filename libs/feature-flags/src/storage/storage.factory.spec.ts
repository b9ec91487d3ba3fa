import { GatekeeperConfigError } from '@gatekeeper/common';
import type { FeatureFlagsModuleOptions } from '../feature-flags.options';
import { MemoryFeatureFlagStorage } from './memory.storage';
import { validateOptions } from './storage.factory';

describe('validateOptions', () => {
  it.each<[string, FeatureFlagsModuleOptions]>([
    ['nothing (memory)', {}],
    ['memory', { backend: 'memory', defaultContext: { environment: 'test' } }],
    [
      'database by URL',
      { backend: 'database', connectionString: 'sqlite::memory:', tablePrefix: 'app_ff_' },
    ],
    ['redis by URL', { backend: 'redis', redisUrl: 'redis://localhost:6379/0', redisPrefix: 'x:' }],
    [
      'a custom storage with stray backend options',
      { storage: new MemoryFeatureFlagStorage(), redisUrl: 'redis://x' },
    ],
  ])('accepts %s', (_name, options) => {
    expect(() => validateOptions(options)).not.toThrow();
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
    [{ backend: 'redis', redisUrl: '' }, /redisUrl must be a non-empty string/],
    [
      { redisUrl: 'redis://localhost' },
      /redisUrl only applies to the 'redis' backend, but backend is 'memory'/,
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
      { backend: 'database', connectionString: 'sqlite::memory:', createTables: 'yes' as never },
      /createTables must be true or false/,
    ],
    [{ contextResolver: 'user.id' as never }, /contextResolver must be a function/],
    [{ defaultContext: 'prod' as never }, /defaultContext must be an EvaluationContext object/],
  ])('rejects %j with a message saying what to change', (options, message) => {
    expect(() => validateOptions(options)).toThrow(GatekeeperConfigError);
    expect(() => validateOptions(options)).toThrow(message);
  });
});
