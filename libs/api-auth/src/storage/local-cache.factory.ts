import {
  assertLocalCacheOptions,
  connectInvalidationBus,
  type InvalidationBus,
} from '@gatekeeper/common';
import { DEFAULT_API_AUTH_REDIS_PREFIX } from '../api-auth.constants';
import type { ApiAuthModuleOptions } from '../api-auth.options';
import type { ApiKeyStorageHandle } from './storage.factory';
import { LocalCacheApiKeyStorage } from './local-cache.storage';

/** The pub/sub channel of key invalidations, under the module's Redis prefix. */
export function keyInvalidationChannel(redisPrefix = DEFAULT_API_AUTH_REDIS_PREFIX): string {
  return `${redisPrefix}invalidate`;
}

/** @throws GatekeeperConfigError naming what to change in `localCache`. */
export function validateLocalCacheOptions(options: ApiAuthModuleOptions): void {
  const { localCache } = options;
  if (localCache === undefined) return;
  assertLocalCacheOptions('localCache', localCache);
}

/**
 * Wraps the storage in the in-process cache when `localCache` is set. Invalidations go
 * over Redis pub/sub when a Redis is configured (`redisUrl` or `redis`); without one each instance
 * sees changes made elsewhere only after the ttl.
 */
export async function withLocalCache(
  handle: ApiKeyStorageHandle,
  options: ApiAuthModuleOptions,
): Promise<ApiKeyStorageHandle> {
  const { localCache } = options;
  if (!localCache) return handle;
  let invalidation: InvalidationBus | undefined;
  try {
    invalidation = await connectInvalidationBus({
      redis: options.redis,
      redisUrl: options.redisUrl,
      channel: keyInvalidationChannel(options.redisPrefix),
      name: 'API keys',
    });
  } catch (error) {
    await handle.close();
    throw error;
  }
  const storage = new LocalCacheApiKeyStorage(handle.storage, {
    ttl: localCache.ttl,
    maxEntries: localCache.maxEntries,
    invalidation,
  });
  return {
    storage,
    close: async () => {
      await storage.close();
      await handle.close();
    },
  };
}
