import type { ModuleRef } from '@nestjs/core';
import { assertNoRenamedOptions, GatekeeperConfigError, parseRedisUrl } from '@gatekeeper/common';
import {
  DEFAULT_FEATURE_FLAGS_REDIS_PREFIX,
  DEFAULT_FEATURE_FLAGS_TABLE_PREFIX,
} from '../feature-flags.constants';
import type { FeatureFlagsBackend, FeatureFlagsModuleOptions } from '../feature-flags.options';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { DatabaseFeatureFlagStorage } from './database/database.storage';
import { validateLocalCacheOptions, withLocalCache } from './local-cache.factory';
import { MemoryFeatureFlagStorage } from './memory.storage';
import { RedisFeatureFlagStorage } from './redis.storage';

/** The storage the module serves, and whether the module created it (and so must close it). */
export interface FeatureFlagStorageHandle {
  storage: FeatureFlagStorage;
  owned: boolean;
}

const BACKENDS: readonly FeatureFlagsBackend[] = ['memory', 'database', 'redis'];

const STORAGE_METHODS = [
  'getFlag',
  'getFlags',
  'getAllActiveFlags',
  'getOverride',
  'createFlag',
  'updateFlag',
  'deleteFlag',
  'createOverride',
  'deleteOverride',
  'healthCheck',
  'close',
] as const satisfies readonly (keyof FeatureFlagStorage)[];

const BACKEND_OPTIONS: Record<Exclude<FeatureFlagsBackend, 'memory'>, readonly string[]> = {
  database: ['connectionString', 'dataSource', 'tablePrefix', 'createTables'],
  redis: ['redisUrl', 'redis', 'redisPrefix'],
};

/**
 * Validates the module options and builds the storage they describe. Runs once, at startup, so
 * a wrong option fails the boot with a message saying what to change.
 */
export async function createFeatureFlagStorage(
  options: FeatureFlagsModuleOptions,
  moduleRef: ModuleRef,
): Promise<FeatureFlagStorageHandle> {
  validateOptions(options);
  // Last step: the optional in-process cache (`localCache` option) around whatever was built.
  return withLocalCache(await createUncachedStorage(options, moduleRef), options);
}

async function createUncachedStorage(
  options: FeatureFlagsModuleOptions,
  moduleRef: ModuleRef,
): Promise<FeatureFlagStorageHandle> {
  const custom = options.storage;
  if (typeof custom === 'function') {
    // A class is ours to instantiate (with its own dependencies injected), hence ours to close.
    const storage = await moduleRef.create(custom);
    assertIsStorage(storage, `the storage class ${custom.name}`);
    return { storage, owned: true };
  }
  if (custom !== undefined) {
    assertIsStorage(custom, 'the storage option');
    return { storage: custom, owned: false };
  }

  const backend = options.backend ?? 'memory';
  switch (backend) {
    case 'memory':
      return { storage: new MemoryFeatureFlagStorage(), owned: true };

    case 'database':
      return createDatabaseStorage(options);
    case 'redis':
      return createRedisStorage(options);
  }
}

async function createDatabaseStorage(
  options: FeatureFlagsModuleOptions,
): Promise<FeatureFlagStorageHandle> {
  const tablePrefix = options.tablePrefix ?? DEFAULT_FEATURE_FLAGS_TABLE_PREFIX;
  const createTables = options.createTables ?? true;
  if (options.dataSource) {
    // The application's DataSource: shared, never destroyed by the module.
    const storage = new DatabaseFeatureFlagStorage(options.dataSource, { tablePrefix });
    if (createTables) await storage.createTables();
    return { storage, owned: false };
  }
  const storage = await DatabaseFeatureFlagStorage.create({
    connectionString: options.connectionString!,
    tablePrefix,
    createTables,
  });
  return { storage, owned: true };
}

async function createRedisStorage(
  options: FeatureFlagsModuleOptions,
): Promise<FeatureFlagStorageHandle> {
  const prefix = options.redisPrefix ?? DEFAULT_FEATURE_FLAGS_REDIS_PREFIX;
  if (options.redis) {
    // The application's client: shared, never closed by the module.
    return { storage: new RedisFeatureFlagStorage(options.redis, { prefix }), owned: false };
  }
  // Checked here as well so that a malformed URL is reported under the option's own name.
  parseRedisUrl(options.redisUrl!, 'redisUrl');
  const storage = await RedisFeatureFlagStorage.create({ url: options.redisUrl!, prefix });
  return { storage, owned: true };
}

/** @throws GatekeeperConfigError naming the option to fix. */
export function validateOptions(options: FeatureFlagsModuleOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new GatekeeperConfigError('FeatureFlagsModule options must be an object');
  }
  assertNoRenamedOptions(options, { cache: 'localCache' }, '0.2.0');
  const { backend, storage } = options;
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    throw new GatekeeperConfigError(
      `backend must be 'memory', 'database' or 'redis' (got ${JSON.stringify(backend)})`,
    );
  }
  if (options.contextResolver !== undefined && typeof options.contextResolver !== 'function') {
    throw new GatekeeperConfigError('contextResolver must be a function (request) => context');
  }
  if (
    options.defaultContext !== undefined &&
    (options.defaultContext === null || typeof options.defaultContext !== 'object')
  ) {
    throw new GatekeeperConfigError('defaultContext must be an EvaluationContext object');
  }
  validateLocalCacheOptions(options);
  // A custom storage makes every backend option irrelevant.
  if (storage !== undefined) return;

  const selected = backend ?? 'memory';
  for (const [other, names] of Object.entries(BACKEND_OPTIONS)) {
    if (other === selected) continue;
    // With a local cache, a Redis next to the database carries the invalidations between instances.
    if (other === 'redis' && selected === 'database' && options.localCache !== undefined) continue;
    const stray = names.find(
      (name) => options[name as keyof FeatureFlagsModuleOptions] !== undefined,
    );
    if (stray) {
      throw new GatekeeperConfigError(
        `${stray} only applies to the '${other}' backend, but backend is '${selected}': ` +
          `set backend: '${other}' or remove ${stray}`,
      );
    }
  }

  if (selected === 'database') {
    requireExactlyOne(options, 'connectionString', 'dataSource', 'database');
    if (options.connectionString !== undefined) requireString(options, 'connectionString');
    if (options.tablePrefix !== undefined && !/^[A-Za-z0-9_]*$/.test(String(options.tablePrefix))) {
      throw new GatekeeperConfigError(
        'tablePrefix may only contain letters, digits and underscores (it becomes part of table names)',
      );
    }
    if (options.createTables !== undefined && typeof options.createTables !== 'boolean') {
      throw new GatekeeperConfigError('createTables must be true or false');
    }
  }
  if (selected === 'redis') {
    requireExactlyOne(options, 'redisUrl', 'redis', 'redis');
    if (options.redisUrl !== undefined) requireString(options, 'redisUrl');
    if (options.redisPrefix !== undefined && typeof options.redisPrefix !== 'string') {
      throw new GatekeeperConfigError('redisPrefix must be a string');
    }
  }
}

function requireExactlyOne(
  options: FeatureFlagsModuleOptions,
  first: keyof FeatureFlagsModuleOptions,
  second: keyof FeatureFlagsModuleOptions,
  backend: string,
): void {
  const hasFirst = options[first] !== undefined && options[first] !== null;
  const hasSecond = options[second] !== undefined && options[second] !== null;
  if (!hasFirst && !hasSecond) {
    throw new GatekeeperConfigError(
      `${first} or ${second} is required when backend is '${backend}'`,
    );
  }
  if (hasFirst && hasSecond) {
    throw new GatekeeperConfigError(`give either ${first} or ${second}, not both`);
  }
}

function requireString(options: FeatureFlagsModuleOptions, name: 'connectionString' | 'redisUrl') {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new GatekeeperConfigError(`${name} must be a non-empty string`);
  }
}

function assertIsStorage(value: unknown, what: string): asserts value is FeatureFlagStorage {
  const missing =
    value !== null && typeof value === 'object'
      ? STORAGE_METHODS.filter(
          (method) => typeof (value as Record<string, unknown>)[method] !== 'function',
        )
      : [...STORAGE_METHODS];
  if (missing.length > 0) {
    throw new GatekeeperConfigError(
      `${what} does not implement FeatureFlagStorage: missing ${missing.join(', ')}`,
    );
  }
}
