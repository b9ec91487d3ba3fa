import type { ModuleRef } from '@nestjs/core';
import {
  createStorage,
  withLocalCache,
  type Clock,
  type StorageHandle,
  type StorageKind,
} from '@gatekeeper/common';
import {
  FEATURE_FLAGS_STORAGE_SPEC,
  validateFeatureFlagsOptions,
  type FeatureFlagsModuleOptions,
} from '../feature-flags.options';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { DatabaseFeatureFlagStorage } from './database/database.storage';
import { LocalCacheFeatureFlagStorage } from './local-cache.storage';
import { MemoryFeatureFlagStorage } from './memory.storage';
import { RedisFeatureFlagStorage } from './redis.storage';

const FEATURE_FLAG_STORAGES: StorageKind<FeatureFlagStorage> = {
  ...FEATURE_FLAGS_STORAGE_SPEC,
  memory: () => new MemoryFeatureFlagStorage(),
  openDatabase: (options) => DatabaseFeatureFlagStorage.create(options),
  database: (dataSource, tablePrefix) =>
    new DatabaseFeatureFlagStorage(dataSource, { tablePrefix }),
  redis: (client, prefix) => new RedisFeatureFlagStorage(client, { prefix }),
  localCache: (inner, options) => new LocalCacheFeatureFlagStorage(inner, options),
};

/**
 * Validates the module options and builds the storage they describe, in the in-process cache
 * (whose entries age by `clock`) when `localCache` is set. Runs once, at startup.
 */
export async function createFeatureFlagStorage(
  options: FeatureFlagsModuleOptions,
  moduleRef: ModuleRef,
  clock: Clock,
): Promise<StorageHandle<FeatureFlagStorage>> {
  validateFeatureFlagsOptions(options);
  const handle = await createStorage(options, moduleRef, FEATURE_FLAG_STORAGES);
  return withLocalCache(handle, options, clock, FEATURE_FLAG_STORAGES);
}
