import { connectRedis, GatekeeperConfigError } from '@gatekeeper/common';
import type { ModuleRef } from '@nestjs/core';
import type { Redis } from 'ioredis';
import {
  DEFAULT_API_AUTH_REDIS_PREFIX,
  DEFAULT_API_AUTH_TABLE_PREFIX,
} from '../api-auth.constants';
import type { ApiAuthBackend, ApiAuthModuleOptions } from '../api-auth.options';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { DatabaseApiKeyStorage } from './database/database.storage';
import { MemoryApiKeyStorage } from './memory.storage';
import { RedisCacheApiKeyStorage } from './redis-cache.storage';
import { RedisApiKeyStorage } from './redis.storage';
import { validateLocalCacheOptions, withLocalCache } from './local-cache.factory';

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
  validateLocalCacheOptions(options);
  // Last step: the optional in-process cache (`localCache` option) around the rest.
  return withLocalCache(await createCachingStorage(options, moduleRef), options);
}

async function createCachingStorage(
  options: ApiAuthModuleOptions,
  moduleRef: ModuleRef,
): Promise<ApiKeyStorageHandle> {
  const primary = await createPrimaryStorage(options, moduleRef);
  if (!options.cache) return primary;

  let redis: RedisHandle;
  try {
    redis = await openRedis(options, 'cache');
  } catch (error) {
    await primary.close();
    throw error;
  }
  const storage = new RedisCacheApiKeyStorage({
    redis: redis.client,
    primary: primary.storage,
    ttl: options.cache.ttl,
    // Beside the redis backend's own keys when both share a server and a prefix.
    prefix: `${options.redisPrefix ?? DEFAULT_API_AUTH_REDIS_PREFIX}cache:`,
  });
  return {
    storage,
    close: async () => {
      await storage.close();
      await primary.close();
      await redis.close();
    },
  };
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
      return createDatabaseStorage(options);
    case 'redis': {
      const redis = await openRedis(options, 'redis');
      const storage = new RedisApiKeyStorage(redis.client, {
        prefix: options.redisPrefix ?? DEFAULT_API_AUTH_REDIS_PREFIX,
      });
      return { storage, close: () => redis.close() };
    }
  }
}

async function createDatabaseStorage(options: ApiAuthModuleOptions): Promise<ApiKeyStorageHandle> {
  const tablePrefix = options.tablePrefix ?? DEFAULT_API_AUTH_TABLE_PREFIX;
  const createTables = options.createTables ?? true;
  const { dataSource } = options;
  if (!dataSource) {
    // Opens its own DataSource, destroyed by close().
    return owned(
      await DatabaseApiKeyStorage.create({
        connectionString: options.connectionString as string,
        tablePrefix,
        createTables,
      }),
    );
  }
  if (!dataSource.isInitialized) {
    throw new GatekeeperConfigError(
      'dataSource must be initialized (TypeOrmModule does it; otherwise await dataSource.initialize() first)',
    );
  }
  const storage = new DatabaseApiKeyStorage(dataSource, { tablePrefix });
  if (createTables) await storage.createTables();
  // The DataSource is the application's: closing the module leaves it open.
  return owned(storage);
}

interface RedisHandle {
  readonly client: Redis;
  close(): Promise<void>;
}

/** The user's client (left open), or one connected from `redisUrl` (quit on close). */
async function openRedis(
  options: ApiAuthModuleOptions,
  purpose: 'redis' | 'cache',
): Promise<RedisHandle> {
  if (options.redis) return { client: options.redis, close: async () => undefined };
  const client = await connectRedis(options.redisUrl as string, {
    connectionName: `gatekeeper-api-auth-${purpose}`,
    optionName: 'redisUrl',
  });
  return {
    client,
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
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
