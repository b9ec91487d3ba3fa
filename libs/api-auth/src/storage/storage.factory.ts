import { GatekeeperConfigError } from '@gatekeeper/common';
import type { ModuleRef } from '@nestjs/core';
import type { ApiAuthBackend, ApiAuthModuleOptions } from '../api-auth.options';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { MemoryApiKeyStorage } from './memory.storage';

/** The storage the module binds, and how to release whatever the module created for it. */
export interface ApiKeyStorageHandle {
  readonly storage: ApiKeyStorage;
  /** Closes storages and clients the module built; never an instance or client the user handed in. */
  close(): Promise<void>;
}

const BACKENDS: readonly ApiAuthBackend[] = ['memory', 'database', 'redis'];
const STORAGE_METHODS = [
  'getByHash',
  'getById',
  'create',
  'update',
  'delete',
  'listByOwner',
  'healthCheck',
  'close',
] as const;

/** Validates the storage-related options and builds the storage. Runs once, at startup. */
export async function createApiKeyStorage(
  options: ApiAuthModuleOptions,
  moduleRef: ModuleRef,
): Promise<ApiKeyStorageHandle> {
  validateStorageOptions(options);
  const primary = await createPrimaryStorage(options, moduleRef);
  if (!options.cache) return primary;

  // ISSUE-6: wrap `primary.storage` in RedisCacheApiKeyStorage({ redis, primary, ttl })
  // (storage/redis-cache.storage.ts); close the Redis client only if built from `redisUrl`.
  await primary.close();
  throw new GatekeeperConfigError('cache is not available yet');
}

async function createPrimaryStorage(
  options: ApiAuthModuleOptions,
  moduleRef: ModuleRef,
): Promise<ApiKeyStorageHandle> {
  const custom = options.storage;
  if (typeof custom === 'function') {
    // A class: let Nest build it so it can inject what it needs; we created it, so we close it.
    const storage = await moduleRef.create(custom);
    assertStorageShape(storage, `the storage class ${custom.name}`);
    return owned(storage);
  }
  if (custom) return { storage: custom, close: async () => undefined };

  const backend = options.backend ?? 'memory';
  switch (backend) {
    case 'memory':
      return owned(new MemoryApiKeyStorage());
    case 'database':
      // ISSUE-6: DatabaseApiKeyStorage (storage/database/database.storage.ts) on `dataSource`
      // or on a DataSource created from `connectionString` (destroyed on close).
      throw new GatekeeperConfigError("backend 'database' is not available yet");
    case 'redis':
      // ISSUE-6: RedisApiKeyStorage (storage/redis.storage.ts) on `redis` or on a client
      // connected from `redisUrl` (quit on close).
      throw new GatekeeperConfigError("backend 'redis' is not available yet");
  }
}

function owned(storage: ApiKeyStorage): ApiKeyStorageHandle {
  return { storage, close: () => storage.close() };
}

/** Fails startup with a message that says what to change. Never echoes connection strings. */
export function validateStorageOptions(options: ApiAuthModuleOptions): void {
  if (options.backend !== undefined && !BACKENDS.includes(options.backend)) {
    throw new GatekeeperConfigError(
      `backend must be one of ${BACKENDS.map((b) => `'${b}'`).join(', ')} (got ${JSON.stringify(options.backend)})`,
    );
  }
  if (options.storage !== undefined && typeof options.storage !== 'function') {
    assertStorageShape(options.storage, 'the storage option');
  }
  if (options.tablePrefix !== undefined && !/^[A-Za-z0-9_]{0,32}$/.test(options.tablePrefix)) {
    throw new GatekeeperConfigError(
      'tablePrefix may only contain letters, digits and underscores (at most 32 characters)',
    );
  }
  if (options.createTables !== undefined && typeof options.createTables !== 'boolean') {
    throw new GatekeeperConfigError('createTables must be true or false');
  }
  if (options.redisPrefix !== undefined && typeof options.redisPrefix !== 'string') {
    throw new GatekeeperConfigError("redisPrefix must be a string such as 'api_key:'");
  }
  if (options.connectionString !== undefined && options.dataSource !== undefined) {
    throw new GatekeeperConfigError('set either connectionString or dataSource, not both');
  }
  if (options.redisUrl !== undefined && options.redis !== undefined) {
    throw new GatekeeperConfigError('set either redisUrl or redis, not both');
  }
  const hasRedis = isNonEmptyString(options.redisUrl) || options.redis !== undefined;
  if (options.redisUrl !== undefined && !isNonEmptyString(options.redisUrl)) {
    throw new GatekeeperConfigError(
      'redisUrl must be a redis://, rediss:// or redis+sentinel:// URL',
    );
  }
  if (options.cache !== undefined) {
    const ttl = (options.cache as { ttl?: unknown } | null)?.ttl;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
      throw new GatekeeperConfigError('cache.ttl must be a positive number of seconds');
    }
    if (!hasRedis) {
      throw new GatekeeperConfigError('cache needs redisUrl or redis: the cache lives in Redis');
    }
  }
  if (options.storage !== undefined) return;

  const backend = options.backend ?? 'memory';
  const hasDatabase =
    isNonEmptyString(options.connectionString) || options.dataSource !== undefined;
  if (options.connectionString !== undefined && !isNonEmptyString(options.connectionString)) {
    throw new GatekeeperConfigError(
      'connectionString must be a postgres://, mysql:// or sqlite: connection string',
    );
  }
  if (backend === 'database' && !hasDatabase) {
    throw new GatekeeperConfigError(
      "connectionString or dataSource is required when backend is 'database'",
    );
  }
  if (backend === 'redis' && !hasRedis) {
    throw new GatekeeperConfigError("redisUrl or redis is required when backend is 'redis'");
  }
  if (backend !== 'database' && hasDatabase) {
    throw new GatekeeperConfigError(
      `connectionString/dataSource is only read when backend is 'database' (backend is '${backend}')`,
    );
  }
  if (backend === 'memory' && hasRedis && options.cache === undefined) {
    throw new GatekeeperConfigError(
      "redisUrl/redis is only read when backend is 'redis' or cache is set (backend is 'memory')",
    );
  }
}

function assertStorageShape(storage: unknown, what: string): asserts storage is ApiKeyStorage {
  const missing = STORAGE_METHODS.filter(
    (method) => typeof (storage as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new GatekeeperConfigError(
      `${what} must implement ApiKeyStorage; missing: ${missing.join(', ')}`,
    );
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}
