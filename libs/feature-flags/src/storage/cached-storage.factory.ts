import {
  assertInProcessCacheOptions,
  connectInvalidationBus,
  GatekeeperConfigError,
  type InvalidationBus,
} from '@gatekeeper/common';
import { DEFAULT_REDIS_PREFIX } from '../feature-flags.constants';
import type { FeatureFlagsModuleOptions } from '../feature-flags.options';
import { CachedFeatureFlagStorage } from './cached.storage';
import type { FeatureFlagStorageHandle } from './storage.factory';

/** The pub/sub channel of flag invalidations, under the module's Redis prefix. */
export function flagInvalidationChannel(redisPrefix = DEFAULT_REDIS_PREFIX): string {
  return `${redisPrefix}invalidate`;
}

/** @throws GatekeeperConfigError naming what to change in `cache`. */
export function validateCacheOptions(options: FeatureFlagsModuleOptions): void {
  const { cache } = options;
  if (cache === undefined) return;
  assertInProcessCacheOptions('cache', cache);
  if (options.redisUrl !== undefined && options.redis !== undefined) {
    throw new GatekeeperConfigError('give either redisUrl or redis, not both');
  }
  if (options.storage === undefined && (options.backend ?? 'memory') === 'memory') {
    throw new GatekeeperConfigError(
      "cache applies to the 'database' and 'redis' backends: the memory backend is already in process",
    );
  }
}

/**
 * Wraps the storage in the in-process cache when `cache` is set. Invalidations travel over Redis
 * pub/sub when a Redis is configured (the redis backend, or `redisUrl` / `redis` next to the
 * database backend); otherwise each instance relies on the ttl for changes made elsewhere.
 */
export async function withFlagCache(
  handle: FeatureFlagStorageHandle,
  options: FeatureFlagsModuleOptions,
): Promise<FeatureFlagStorageHandle> {
  const { cache } = options;
  if (!cache) return handle;
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
  const storage = new CachedFeatureFlagStorage(handle.storage, {
    ttl: cache.ttl,
    maxEntries: cache.maxEntries,
    invalidation,
    // The wrapper is always ours to close; the wrapped storage only when it was ours already.
    closeInner: handle.owned,
  });
  return { storage, owned: true };
}
