import {
  assertLocalCacheOptions,
  connectInvalidationBus,
  GatekeeperConfigError,
  type InvalidationBus,
} from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_REDIS_PREFIX } from '../feature-flags.constants';
import type { FeatureFlagsModuleOptions } from '../feature-flags.options';
import { LocalCacheFeatureFlagStorage } from './local-cache.storage';
import type { FeatureFlagStorageHandle } from './storage.factory';

/** The pub/sub channel of flag invalidations, under the module's Redis prefix. */
export function flagInvalidationChannel(redisPrefix = DEFAULT_FEATURE_FLAGS_REDIS_PREFIX): string {
  return `${redisPrefix}invalidate`;
}

/** @throws GatekeeperConfigError naming what to change in `localCache`. */
export function validateLocalCacheOptions(options: FeatureFlagsModuleOptions): void {
  const { localCache } = options;
  if (localCache === undefined) return;
  assertLocalCacheOptions('localCache', localCache);
  if (options.redisUrl !== undefined && options.redis !== undefined) {
    throw new GatekeeperConfigError('give either redisUrl or redis, not both');
  }
  if (options.storage === undefined && (options.backend ?? 'memory') === 'memory') {
    throw new GatekeeperConfigError(
      "localCache applies to the 'database' and 'redis' backends: the memory backend is already in process",
    );
  }
}

/**
 * Wraps the storage in the in-process cache when `localCache` is set. Invalidations travel over Redis
 * pub/sub when a Redis is configured (the redis backend, or `redisUrl` / `redis` next to the
 * database backend); otherwise each instance relies on the ttl for changes made elsewhere.
 */
export async function withLocalCache(
  handle: FeatureFlagStorageHandle,
  options: FeatureFlagsModuleOptions,
): Promise<FeatureFlagStorageHandle> {
  const { localCache } = options;
  if (!localCache) return handle;
  let invalidation: InvalidationBus | undefined;
  try {
    invalidation = await connectInvalidationBus({
      redis: options.redis,
      redisUrl: options.redisUrl,
      channel: flagInvalidationChannel(options.redisPrefix),
      name: 'feature flags',
    });
  } catch (error) {
    if (handle.owned) await handle.storage.close();
    throw error;
  }
  const storage = new LocalCacheFeatureFlagStorage(handle.storage, {
    ttl: localCache.ttl,
    maxEntries: localCache.maxEntries,
    invalidation,
    // The wrapper is always ours to close; the wrapped storage only when it was ours already.
    closeInner: handle.owned,
  });
  return { storage, owned: true };
}
