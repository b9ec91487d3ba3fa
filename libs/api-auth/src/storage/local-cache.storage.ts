import {
  deepCopy,
  DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
  TtlCache,
  type InvalidationBus,
  type LocalCacheOptions,
} from '@gatekeeper/common';
import type { ApiKey } from '../models/api-key.model';
import type { ApiKeyStorage } from './api-key-storage.interface';

/**
 * `ttl`: seconds a verified key is answered from process memory. Revocation, rotation and deletion
 * through any instance invalidate every instance at once over Redis pub/sub; the ttl bounds how
 * long a change made around the module (or a lost message) can go unnoticed. Keep it short.
 */
export interface LocalCacheApiKeyStorageOptions extends LocalCacheOptions {
  /** Cross-instance invalidation; without it other instances notice changes after the ttl. */
  invalidation?: InvalidationBus;
  /** Milliseconds clock, for tests. */
  now?: () => number;
}

/** Internal: a storage that can answer `getByHash` from process memory, synchronously. */
export interface ApiKeyCacheReader {
  /** A copy of the cached key while fresh, else `undefined` (only the storage can tell). No I/O. */
  peekByHash(keyHash: string): ApiKey | undefined;
}

export function isApiKeyCacheReader(storage: unknown): storage is ApiKeyCacheReader {
  return typeof (storage as Partial<ApiKeyCacheReader> | null)?.peekByHash === 'function';
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
 */
export class LocalCacheApiKeyStorage implements ApiKeyStorage, ApiKeyCacheReader {
  private readonly cache: TtlCache<ApiKey>;
  /** keyHash by id, for invalidations that only know the id (`delete`). */
  private readonly hashById = new Map<string, string>();
  /** Bumped by every invalidation: a read in flight across one is returned but not cached. */
  private epoch = 0;
  private readonly unsubscribe: Array<() => void> = [];

  /** Present when the wrapped storage has it (the service falls back to `update()` otherwise). */
  readonly touch?: (id: string, lastUsedAt: Date) => Promise<void>;

  constructor(
    readonly inner: ApiKeyStorage,
    private readonly options: LocalCacheApiKeyStorageOptions,
  ) {
    this.cache = new TtlCache<ApiKey>({
      ttlMs: options.ttl * 1000,
      maxEntries: options.maxEntries ?? DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
      now: options.now,
      onEvict: (_keyHash, entry) => this.hashById.delete(entry.value.id),
    });
    if (inner.touch) {
      // lastUsedAt is bookkeeping, not authorisation: it invalidates nothing.
      this.touch = (id, lastUsedAt) => inner.touch!(id, lastUsedAt);
    }
    const bus = options.invalidation;
    if (bus) {
      this.unsubscribe.push(
        bus.onMessage((message) => this.applyMessage(message)),
        bus.onReset(() => this.invalidateAll()),
      );
    }
  }

  /** Drops every cached key of this instance. */
  invalidateAll(): void {
    this.epoch++;
    this.cache.clear();
    this.hashById.clear();
  }

  peekByHash(keyHash: string): ApiKey | undefined {
    const cached = this.cache.getFresh(keyHash);
    return cached === undefined ? undefined : deepCopy(cached);
  }

  async getByHash(keyHash: string): Promise<ApiKey | null> {
    const cached = this.peekByHash(keyHash);
    if (cached !== undefined) return cached;
    const epoch = this.epoch;
    const apiKey = await this.inner.getByHash(keyHash);
    if (apiKey && epoch === this.epoch && apiKey.keyHash === keyHash) {
      this.cache.set(keyHash, deepCopy(apiKey));
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

  async update(apiKey: ApiKey): Promise<ApiKey> {
    const updated = await this.inner.update(apiKey);
    await this.changed({ id: updated.id, keyHash: updated.keyHash });
    return updated;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.inner.delete(id);
    await this.changed({ id });
    return deleted;
  }

  listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    return this.inner.listByOwner(ownerId);
  }

  healthCheck(): Promise<boolean> {
    return this.inner.healthCheck();
  }

  /** Stops listening and closes the bus; the wrapped storage is closed by whoever created it. */
  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.invalidateAll();
    await this.options.invalidation?.close();
  }

  private async changed(invalidation: KeyInvalidation): Promise<void> {
    this.invalidate(invalidation);
    await this.options.invalidation?.publish(JSON.stringify(invalidation));
  }

  private applyMessage(message: string): void {
    let invalidation: KeyInvalidation;
    try {
      invalidation = JSON.parse(message) as KeyInvalidation;
    } catch {
      return;
    }
    if (typeof invalidation?.id === 'string') this.invalidate(invalidation);
    else this.invalidateAll();
  }

  private invalidate({ id, keyHash }: KeyInvalidation): void {
    this.epoch++;
    const known = this.hashById.get(id);
    if (known !== undefined) this.cache.delete(known);
    if (typeof keyHash === 'string') this.cache.delete(keyHash);
    this.hashById.delete(id);
  }
}
