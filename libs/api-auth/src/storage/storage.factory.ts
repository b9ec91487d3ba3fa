import {
  assertClusterPrefix,
  createStorage,
  openRedis,
  ownedHandle,
  redisPrefixFor,
  withLocalCache,
  type Clock,
  type RedisHandle,
  type StorageHandle,
  type StorageKind,
} from '@gatekeeper/common';
import type { ModuleRef } from '@nestjs/core';
import { DEFAULT_API_AUTH_REDIS_PREFIX } from '../api-auth.constants';
import {
  API_AUTH_STORAGE_SPEC,
  validateApiAuthStorageOptions,
  type ApiAuthModuleOptions,
} from '../api-auth.options';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { DatabaseApiKeyStorage } from './database/database.storage';
import { LocalCacheApiKeyStorage } from './local-cache.storage';
import { MemoryApiKeyStorage } from './memory.storage';
import { RedisCacheApiKeyStorage } from './redis-cache.storage';
import { RedisApiKeyStorage } from './redis.storage';

const API_KEY_STORAGES: StorageKind<ApiKeyStorage> = {
  ...API_AUTH_STORAGE_SPEC,
  memory: () => new MemoryApiKeyStorage(),
  openDatabase: (options) => DatabaseApiKeyStorage.create(options),
  database: (dataSource, tablePrefix) => new DatabaseApiKeyStorage(dataSource, { tablePrefix }),
  redis: (client, prefix) => new RedisApiKeyStorage(client, { prefix }),
  localCache: (inner, options) => new LocalCacheApiKeyStorage(inner, options),
};

/**
 * Validates the storage-related options and builds the storage: the primary one, behind the
 * Redis cache when `cache` is set, behind the in-process cache (whose entries age by `clock`)
 * when `localCache` is set. Runs once, at startup.
 */
export async function createApiKeyStorage(
  options: ApiAuthModuleOptions,
  moduleRef: ModuleRef,
  clock: Clock,
): Promise<StorageHandle<ApiKeyStorage>> {
  validateApiAuthStorageOptions(options);
  const primary = await createStorage(options, moduleRef, API_KEY_STORAGES);
  const cached = await withRedisCache(primary, options);
  return withLocalCache(cached, options, clock, API_KEY_STORAGES);
}

/** The `cache` option: a Redis read-through cache in front of the primary storage. */
async function withRedisCache(
  primary: StorageHandle<ApiKeyStorage>,
  options: ApiAuthModuleOptions,
): Promise<StorageHandle<ApiKeyStorage>> {
  if (!options.cache) return primary;
  let redis: RedisHandle | undefined;
  try {
    redis = await openRedis(options, 'gatekeeper-api-auth-cache');
    const { client } = redis;
    const prefix = redisPrefixFor(client, options.redisPrefix, DEFAULT_API_AUTH_REDIS_PREFIX);
    assertClusterPrefix(client, prefix, 'redisPrefix');
    const storage = new RedisCacheApiKeyStorage({
      redis: client,
      primary: primary.storage,
      ttl: options.cache.ttl,
      // Beside the redis backend's own keys when both share a server and a prefix.
      prefix: `${prefix}cache:`,
    });
    const owned = redis;
    return ownedHandle(
      storage,
      () => primary.close(),
      () => owned.close(),
    );
  } catch (error) {
    await redis?.close();
    await primary.close();
    throw error;
  }
}
