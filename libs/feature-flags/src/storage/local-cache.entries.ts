import {
  TtlCache,
  type CacheResult,
  type GatekeeperMetrics,
  type MaybePromise,
  type TtlCacheEntry,
} from '@gatekeeper/common';
import type { FeatureFlag, FlagOverride, OverrideEntityType } from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import type { Freshness } from './flag-source';
import { OverrideIndex } from './override-index';
import type { CachedRead } from './snapshot-cache';

type Cached = FeatureFlag | FlagOverride | null;
export type Entry = TtlCacheEntry<Cached>;

/** What the LRU caches: a flag, `[key]`, or an override lookup, `[flagId, entityType, entityId]`. */
type Lookup = [string] | [string, OverrideEntityType, string];

/**
 * The local cache's entries: flags, missing flags and override lookups (including "none") in one
 * bounded LRU, read through from the wrapped storage.
 * - Concurrent misses of one entry share one storage call.
 * - Every invalidation bumps an epoch: a read that started before it is returned, not cached.
 * - When the storage fails, an expired entry is served `stale`, and so is "no override" for a
 *   lookup never made. While the storage is known to be failing, hits are `cached`.
 */
export class LocalCacheEntries {
  /** Holds the entries (JSON of their `Lookup` as key); hits find them through the indexes. */
  private readonly cache: TtlCache<Cached>;
  readonly flags = new Map<string, Entry>();
  readonly overrides = new OverrideIndex<Entry>();
  private readonly loading = new Map<string, Promise<Cached>>();
  private epoch = 0;
  /** Whether the last storage call failed (or the last health check said so). */
  failing = false;

  constructor(
    private readonly inner: FeatureFlagStorage,
    ttlMs: number,
    maxEntries: number,
    private readonly now: () => number,
    /** Counts flag lookups (override lookups are not counted). */
    private readonly metrics?: GatekeeperMetrics,
  ) {
    const onEvict = (cacheKey: string, entry: Entry) => this.unindex(cacheKey, entry);
    this.cache = new TtlCache<Cached>({ ttlMs, maxEntries, now, onEvict });
  }

  get size(): number {
    return this.cache.size;
  }

  /** How a fresh entry is served: `cached` while the storage is failing. */
  hit(): Freshness {
    return this.failing ? 'cached' : 'fresh';
  }

  countFlag(result: CacheResult): void {
    this.metrics?.cacheRequest('feature_flags', result);
  }

  /** The entry while fresh, else a read through (see `readThrough`). */
  lookup<T extends Cached>(
    entry: Entry | undefined,
    lookup: Lookup,
    assumeAbsent: boolean,
  ): MaybePromise<CachedRead<T>> {
    if (entry === undefined || entry.expiresAt <= this.now()) {
      return this.readThrough<T>(lookup, entry, assumeAbsent);
    }
    entry.used = true;
    if (lookup.length === 1) this.countFlag('hit');
    return { value: entry.value as T, freshness: this.hit() };
  }

  readFlag(key: string): MaybePromise<CachedRead<FeatureFlag | null>> {
    return this.lookup(this.flags.get(key), [key], false);
  }

  readOverride(
    flagId: string,
    entityType: OverrideEntityType,
    entityId: string,
  ): MaybePromise<CachedRead<FlagOverride | null>> {
    const entry = this.overrides.get(flagId, entityType, entityId);
    return this.lookup<FlagOverride | null>(entry, [flagId, entityType, entityId], false);
  }

  /**
   * The flags `keys` name (`null`: none), with one storage call for every key not fresh here; if
   * it fails, the expired entries, stale, when there is one for each such key, else the failure.
   */
  async readFlags(keys: readonly string[]): Promise<Map<string, CachedRead<FeatureFlag | null>>> {
    const reads = new Map<string, CachedRead<FeatureFlag | null>>();
    const now = this.now();
    const expired = new Map<string, Entry | undefined>();
    for (const key of keys) {
      const entry = this.flags.get(key);
      if (entry === undefined || entry.expiresAt <= now) {
        expired.set(key, entry);
      } else {
        reads.set(key, { value: entry.value as FeatureFlag | null, freshness: this.hit() });
        this.countFlag('hit');
      }
    }
    if (expired.size === 0) return reads;
    const epoch = this.epoch;
    try {
      const loaded = await this.track(() => this.inner.getFlags([...expired.keys()]));
      for (const key of expired.keys()) {
        const flag = loaded.get(key) ?? null;
        if (epoch === this.epoch) this.index([key], this.cache.set(JSON.stringify([key]), flag));
        reads.set(key, { value: flag, freshness: 'fresh' });
        this.countFlag('miss');
      }
    } catch (error) {
      const served = ![...expired.values()].includes(undefined);
      for (const [key, entry] of expired) {
        this.countFlag(served ? 'stale' : 'miss');
        if (served)
          reads.set(key, { value: entry!.value as FeatureFlag | null, freshness: 'stale' });
      }
      if (!served) throw error;
    }
    return reads;
  }

  /** A call to the storage, noting whether it failed. */
  async track<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const value = await operation();
      this.failing = false;
      return value;
    } catch (error) {
      this.failing = true;
      throw error;
    }
  }

  /** Drops a flag, and with its id the flag's override lookups. */
  invalidateFlag(key: string, id?: string): void {
    this.invalidate([key]);
    this.flags.delete(key);
    for (const [entityType, entityId] of id === undefined ? [] : this.overrides.deleteFlag(id)) {
      this.cache.delete(JSON.stringify([id, entityType, entityId]));
    }
  }

  invalidateOverride(flagId: string, entityType: OverrideEntityType, entityId: string): void {
    this.invalidate([flagId, entityType, entityId]);
    this.overrides.delete(flagId, entityType, entityId);
  }

  /** Everything read again at its next use, kept meanwhile to serve stale if the storage fails. */
  expireAll(): void {
    this.invalidate();
    this.cache.expireAll();
  }

  invalidateAll(): void {
    this.invalidate();
    this.cache.clear();
    this.flags.clear();
    this.overrides.clear();
  }

  /**
   * One storage call, shared by concurrent misses. When it fails: the expired entry, stale; with
   * `assumeAbsent` and no entry, "none", stale; else the failure.
   */
  private async readThrough<T extends Cached>(
    lookup: Lookup,
    expired: Entry | undefined,
    assumeAbsent: boolean,
  ): Promise<CachedRead<T>> {
    const cacheKey = JSON.stringify(lookup);
    try {
      let loading = this.loading.get(cacheKey);
      if (loading === undefined) {
        loading = this.load(cacheKey, lookup);
        this.loading.set(cacheKey, loading);
      }
      const value = (await loading) as T;
      if (lookup.length === 1) this.countFlag('miss');
      return { value, freshness: 'fresh' };
    } catch (error) {
      const served = expired !== undefined || assumeAbsent;
      if (lookup.length === 1) this.countFlag(served ? 'stale' : 'miss');
      if (expired !== undefined) return { value: expired.value as T, freshness: 'stale' };
      if (assumeAbsent) return { value: null as T, freshness: 'stale' };
      throw error;
    }
  }

  private async load(cacheKey: string, lookup: Lookup): Promise<Cached> {
    const epoch = this.epoch;
    try {
      const value = await this.track<Cached>(() =>
        lookup.length === 1 ? this.inner.getFlag(lookup[0]) : this.inner.getOverride(...lookup),
      );
      if (epoch === this.epoch) this.index(lookup, this.cache.set(cacheKey, value));
      return value;
    } finally {
      if (epoch === this.epoch) this.loading.delete(cacheKey);
    }
  }

  /** Reads in flight may carry the old value: later readers must not join them, nor cache it. */
  private invalidate(lookup?: Lookup): void {
    this.epoch++;
    this.loading.clear();
    if (lookup) this.cache.delete(JSON.stringify(lookup));
  }

  private index(lookup: Lookup, entry: Entry): void {
    if (lookup.length === 1) this.flags.set(lookup[0], entry);
    else this.overrides.set(...lookup, entry);
  }

  /** An entry the LRU evicted leaves the indexes (unless they hold a newer one). */
  private unindex(cacheKey: string, entry: Entry): void {
    const lookup = JSON.parse(cacheKey) as Lookup;
    if (lookup.length === 3) this.overrides.delete(...lookup, entry);
    else if (this.flags.get(lookup[0]) === entry) this.flags.delete(lookup[0]);
  }
}
