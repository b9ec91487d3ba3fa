import {
  DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
  InvalidatedCache,
  TtlCache,
  type GatekeeperMetrics,
  type LocalCacheWrapperOptions,
} from '@gatekeeper/common';
import { apiKeyCopier, type ApiKey } from '../models/api-key.model';
import type { ApiKeyStorage } from './api-key-storage.interface';
import { declaredApiKeySources } from './api-key.source';

/**
 * `ttl`: seconds a verified key is answered from process memory. Revocation, rotation and deletion
 * through any instance invalidate every instance at once over Redis pub/sub; the ttl bounds how
 * long a change made around the module (or a lost message) can go unnoticed. Keep it short.
 */
export type LocalCacheApiKeyStorageOptions = LocalCacheWrapperOptions;

/** A cached key and how to copy it for each caller (chosen once, see `apiKeyCopier`). */
interface CachedKey {
  apiKey: ApiKey;
  copy: (apiKey: ApiKey) => ApiKey;
}

interface KeyInvalidation {
  id: string;
  keyHash?: string;
}

/**
 * Caches `getByHash` — the one storage call of `ApiKeyService.verify()` — in process memory for a
 * few seconds, in front of any `ApiKeyStorage`. Only found keys are cached (an unknown key always
 * reaches the storage, so a key created elsewhere works at once). `update` and `delete` through
 * this storage drop the key here and, over the invalidation bus, on every instance, so a revoked
 * key is refused everywhere within the bus latency. Expiry needs no invalidation: `verify()`
 * checks `expiresAt` against the clock on every call.
 *
 * `ApiKeyService` reads it through a declared source that answers a fresh hit without a promise
 * (so `ApiKeyGuard` admits a cached key synchronously) and a miss with one.
 */
export class LocalCacheApiKeyStorage
  extends InvalidatedCache<KeyInvalidation>
  implements ApiKeyStorage
{
  private readonly cache: TtlCache<CachedKey>;
  /** keyHash by id, for invalidations that only know the id (`delete`). */
  private readonly hashById = new Map<string, string>();
  /** Bumped by every invalidation: a read in flight across one is returned but not cached. */
  private epoch = 0;
  private readonly metrics: GatekeeperMetrics | undefined;

  /** Present when the wrapped storage has it (the service falls back to `update()` otherwise). */
  readonly touch?: (id: string, lastUsedAt: Date) => Promise<void>;

  constructor(
    readonly inner: ApiKeyStorage,
    options: LocalCacheApiKeyStorageOptions,
  ) {
    super(options.invalidation);
    this.metrics = options.metrics;
    this.cache = new TtlCache<CachedKey>({
      ttlMs: options.ttl * 1000,
      maxEntries: options.maxEntries ?? DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
      now: options.now ?? Date.now,
      onEvict: (_keyHash, entry) => this.hashById.delete(entry.value.apiKey.id),
    });
    declaredApiKeySources.declare(this, LocalCacheApiKeyStorage, {
      byHash: (keyHash) => this.lookup(keyHash),
    });
    if (inner.touch) {
      // lastUsedAt is bookkeeping, not authorisation: it invalidates nothing.
      this.touch = (id, lastUsedAt) => inner.touch!(id, lastUsedAt);
    }
  }

  invalidateAll(): void {
    this.epoch++;
    this.cache.clear();
    this.hashById.clear();
  }

  async getByHash(keyHash: string): Promise<ApiKey | null> {
    return this.lookup(keyHash);
  }

  /** A copy of the fresh cached key at once, else the wrapped storage's answer, cached if found. */
  private lookup(keyHash: string): ApiKey | Promise<ApiKey | null> {
    const cached = this.cache.getFresh(keyHash);
    this.metrics?.cacheRequest('api_auth', cached === undefined ? 'miss' : 'hit');
    return cached === undefined ? this.load(keyHash) : cached.copy(cached.apiKey);
  }

  private async load(keyHash: string): Promise<ApiKey | null> {
    const epoch = this.epoch;
    const apiKey = await this.inner.getByHash(keyHash);
    if (apiKey && epoch === this.epoch && apiKey.keyHash === keyHash) {
      const copy = apiKeyCopier(apiKey);
      this.cache.set(keyHash, { apiKey: copy(apiKey), copy });
      this.hashById.set(apiKey.id, keyHash);
    }
    return apiKey;
  }

  getById(id: string): Promise<ApiKey | null> {
    return this.inner.getById(id);
  }

  create(apiKey: ApiKey): Promise<ApiKey> {
    return this.inner.create(apiKey);
  }

  update(apiKey: ApiKey): Promise<ApiKey> {
    const { id, keyHash } = apiKey;
    return this.changing({ id, keyHash }, () => this.inner.update(apiKey));
  }

  delete(id: string): Promise<boolean> {
    return this.changing({ id }, () => this.inner.delete(id));
  }

  listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    return this.inner.listByOwner(ownerId);
  }

  healthCheck(): Promise<boolean> {
    return this.inner.healthCheck();
  }

  protected invalidate(invalidation: KeyInvalidation | null): void {
    if (typeof invalidation?.id !== 'string') return this.invalidateAll();
    const { id, keyHash } = invalidation;
    this.epoch++;
    const known = this.hashById.get(id);
    if (known !== undefined) this.cache.delete(known);
    if (typeof keyHash === 'string') this.cache.delete(keyHash);
    this.hashById.delete(id);
  }
}
