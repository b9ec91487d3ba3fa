import {
  assertInProcessCacheOptions,
  connectInvalidationBus,
  type InvalidationBus,
} from '@gatekeeper/common';
import { DEFAULT_REDIS_PREFIX } from '../api-auth.constants';
import type { ApiAuthModuleOptions } from '../api-auth.options';
import type { ApiKeyStorageHandle } from './storage.factory';
import { VerifyCacheApiKeyStorage } from './verify-cache.storage';

/** The pub/sub channel of key invalidations, under the module's Redis prefix. */
export function keyInvalidationChannel(redisPrefix = DEFAULT_REDIS_PREFIX): string {
  return `${redisPrefix}invalidate`;
}

/** @throws GatekeeperConfigError naming what to change in `verifyCache`. */
export function validateVerifyCacheOptions(options: ApiAuthModuleOptions): void {
  const { verifyCache } = options;
  if (verifyCache === undefined) return;
  assertInProcessCacheOptions('verifyCache', verifyCache);
}

/**
 * Wraps the storage in the in-process verify cache when `verifyCache` is set. Invalidations go
 * over Redis pub/sub when a Redis is configured (`redisUrl` or `redis`); without one each instance
 * sees changes made elsewhere only after the ttl.
 */
export async function withVerifyCache(
  handle: ApiKeyStorageHandle,
  options: ApiAuthModuleOptions,
): Promise<ApiKeyStorageHandle> {
  const { verifyCache } = options;
  if (!verifyCache) return handle;
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
  const storage = new VerifyCacheApiKeyStorage(handle.storage, {
    ttl: verifyCache.ttl,
    maxEntries: verifyCache.maxEntries,
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
