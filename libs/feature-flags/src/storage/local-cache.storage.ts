import {
  deepCopy,
  DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
  TtlCache,
  type InvalidationBus,
  type LocalCacheOptions,
  type TtlCacheEntry,
} from '@gatekeeper/common';
import type {
  CreateFlagInput,
  CreateOverrideInput,
  FeatureFlag,
  FlagOverride,
} from '../models/feature-flag.model';
import {
  hasSynchronousLookup,
  type FeatureFlagStorage,
  type SynchronousFlagLookup,
} from './feature-flag-storage.interface';

/**
 * `ttl`: seconds a flag (or an override lookup) is answered from process memory without asking the
 * storage; `maxEntries` counts flags and override lookups together.
 */
export interface LocalCacheFeatureFlagStorageOptions extends LocalCacheOptions {
  /** Cross-instance invalidation; without it each instance only sees its own writes before the ttl. */
  invalidation?: InvalidationBus;
  /** Close the wrapped storage in `close()`. Default `true`. */
  closeInner?: boolean;
  /** Milliseconds clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Internal: how a cached read was answered. `fresh` within the ttl (or straight from the storage);
 * `cached` within the ttl while the storage is known to be failing; `stale` past the ttl (or an
 * override lookup that could not be made) because the storage failed.
 */
export type CacheFreshness = 'fresh' | 'cached' | 'stale';

/** Internal: what `FeatureFlagCacheReader` answers. */
export interface CachedRead<T> {
  value: T;
  freshness: CacheFreshness;
}

/**
 * Internal: what `FeatureFlagClient` uses from a caching storage: synchronous lookups for its fast
 * path and reads that say how fresh their answer is. Values handed out here are the cache's own
 * objects and must never be mutated.
 */
export interface FeatureFlagCacheReader extends SynchronousFlagLookup {
  readFlag(key: string): Promise<CachedRead<FeatureFlag | null>>;
  readFlags(keys: readonly string[]): Promise<Map<string, CachedRead<FeatureFlag | null>>>;
  /** While the storage fails, an uncached lookup is answered as "no override", `stale`. */
  readOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<CachedRead<FlagOverride | null>>;
}

export function isFeatureFlagCacheReader(storage: unknown): storage is FeatureFlagCacheReader {
  const candidate = storage as Partial<FeatureFlagCacheReader> | null;
  return (
    hasSynchronousLookup(storage) &&
    typeof candidate?.readFlag === 'function' &&
    typeof candidate.readFlags === 'function' &&
    typeof candidate.readOverride === 'function'
  );
}

/** Invalidation messages, JSON over the bus. */
type Invalidation =
  | { t: 'flag'; key: string; id?: string }
  | { t: 'override'; flagId: string; entityType: string; entityId: string };

type Cached = FeatureFlag | FlagOverride | null;

// Flags are cached under their key, override lookups under NUL-separated ids behind a leading NUL:
// one bounded map for both, no key can collide, and a flag lookup allocates no key string.
const NUL = '\u0000';

/**
 * An in-process, bounded (LRU) cache in front of any `FeatureFlagStorage`, for the database and
 * Redis backends (`localCache: { ttl, maxEntries }`). Flags, missing flags and override lookups
 * (including "none") are cached. Writes made through this storage invalidate the local entries
 * and, through the invalidation bus, those of every other instance.
 *
 * When the wrapped storage fails, what is cached keeps being served — within the ttl as usual,
 * past it as stale data — instead of failing; `healthCheck` and `getAllActiveFlags` are never
 * answered from the cache, so the health indicator still reports the outage.
 */
export class LocalCacheFeatureFlagStorage implements FeatureFlagStorage, FeatureFlagCacheReader {
  private readonly cache: TtlCache<Cached>;
  /**
   * flagId → entityId → entityType → the cache entry of that override lookup (the same object the
   * LRU holds), so the hot path finds it without building a composite key string.
   */
  private readonly overrideIndex = new Map<string, Map<string, OverrideSlots>>();
  /** The last (flagId, entityId) looked up: evaluation asks for user and targeting key in a row. */
  private lastFlagId: string | undefined;
  private lastEntityId: string | undefined;
  private lastSlots: OverrideSlots | undefined;
  /** Reads in flight per cache key, so a burst of misses costs one storage call. */
  private readonly loading = new Map<string, Promise<Cached>>();
  /**
   * Bumped by every invalidation. A read that started before one may carry the old value, so
   * its result is returned but not cached.
   */
  private epoch = 0;
  private failing = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    readonly inner: FeatureFlagStorage,
    private readonly options: LocalCacheFeatureFlagStorageOptions,
  ) {
    this.cache = new TtlCache<Cached>({
      ttlMs: options.ttl * 1000,
      maxEntries: options.maxEntries ?? DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
      now: options.now,
      onEvict: (cacheKey, entry) => this.unindexOverride(cacheKey, entry),
    });
    const bus = options.invalidation;
    if (bus) {
      this.unsubscribe.push(
        bus.onMessage((message) => this.applyMessage(message)),
        bus.onReset(() => this.invalidateAll()),
      );
    }
  }

  get degraded(): boolean {
    return this.failing;
  }

  /** Entries held (flags and override lookups), for monitoring. */
  get size(): number {
    return this.cache.size;
  }

  /** Drops every cached entry of this instance (other instances are not told). */
  invalidateAll(): void {
    this.epoch++;
    this.loading.clear();
    this.cache.clear();
    this.overrideIndex.clear();
    this.forgetLastSlots();
  }

  peekFlag(key: string): FeatureFlag | null | undefined {
    if (key.charCodeAt(0) === 0) return undefined;
    return this.cache.getFresh(key) as FeatureFlag | null | undefined;
  }

  peekOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): FlagOverride | null | undefined {
    let slots: OverrideSlots | undefined;
    if (flagId === this.lastFlagId && entityId === this.lastEntityId) {
      slots = this.lastSlots;
    } else {
      slots = this.overrideIndex.get(flagId)?.get(entityId);
      this.lastFlagId = flagId;
      this.lastEntityId = entityId;
      this.lastSlots = slots;
    }
    const entry = slots?.get(entityType);
    if (entry === undefined || entry.expiresAt <= this.cache.now()) return undefined;
    entry.used = true;
    return entry.value as FlagOverride | null;
  }

  /** @internal `FeatureFlagCacheReader`, for `FeatureFlagClient`: not part of the public API. */
  readFlag(key: string): Promise<CachedRead<FeatureFlag | null>> {
    const cacheKey = key.charCodeAt(0) === 0 ? undefined : key;
    return this.read(cacheKey, () => this.inner.getFlag(key), false) as Promise<
      CachedRead<FeatureFlag | null>
    >;
  }

  /** @internal See `readFlag`. */
  readOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<CachedRead<FlagOverride | null>> {
    return this.read(
      overrideCacheKey(flagId, entityType, entityId),
      () => this.inner.getOverride(flagId, entityType, entityId),
      true,
      (entry) => this.indexOverride(flagId, entityType, entityId, entry),
    ) as Promise<CachedRead<FlagOverride | null>>;
  }

  /** @internal See `readFlag`. */
  async readFlags(keys: readonly string[]): Promise<Map<string, CachedRead<FeatureFlag | null>>> {
    const results = new Map<string, CachedRead<FeatureFlag | null>>();
    const stale = new Map<string, TtlCacheEntry<Cached>>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const entry = key.charCodeAt(0) === 0 ? undefined : this.cache.getEntry(key);
      if (entry && this.cache.isFresh(entry)) {
        results.set(key, { value: entry.value as FeatureFlag | null, freshness: this.freshness() });
      } else {
        missing.push(key);
        if (entry) stale.set(key, entry);
      }
    }
    if (missing.length === 0) return results;

    const epoch = this.epoch;
    let loaded: Map<string, FeatureFlag>;
    try {
      loaded = await this.inner.getFlags(missing);
      this.failing = false;
    } catch (error) {
      this.failing = true;
      if (missing.some((key) => !stale.has(key))) throw error;
      for (const [key, entry] of stale) {
        results.set(key, { value: entry.value as FeatureFlag | null, freshness: 'stale' });
      }
      return results;
    }
    for (const key of missing) {
      const value = loaded.get(key) ?? null;
      if (epoch === this.epoch && key.charCodeAt(0) !== 0) this.cache.set(key, value);
      results.set(key, { value, freshness: 'fresh' });
    }
    return results;
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    return deepCopy((await this.readFlag(key)).value);
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const found = new Map<string, FeatureFlag>();
    for (const [key, read] of await this.readFlags(keys)) {
      if (read.value) found.set(key, deepCopy(read.value));
    }
    return found;
  }

  /** Never cached: it answers "which flags exist", and the health indicator relies on it. */
  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    try {
      const flags = await this.inner.getAllActiveFlags();
      this.failing = false;
      return flags;
    } catch (error) {
      this.failing = true;
      throw error;
    }
  }

  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    const cacheKey = overrideCacheKey(flagId, entityType, entityId);
    const read = await this.read(
      cacheKey,
      () => this.inner.getOverride(flagId, entityType, entityId),
      false,
      (entry) => this.indexOverride(flagId, entityType, entityId, entry),
    );
    return deepCopy(read.value as FlagOverride | null);
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = await this.inner.createFlag(input);
    // A miss for this key may be cached here and elsewhere.
    await this.changed({ t: 'flag', key: flag.key });
    return flag;
  }

  async updateFlag(flag: FeatureFlag): Promise<FeatureFlag> {
    const updated = await this.inner.updateFlag(flag);
    await this.changed({ t: 'flag', key: updated.key });
    return updated;
  }

  async deleteFlag(key: string): Promise<boolean> {
    // The id names the flag's cached override lookups, which go with it.
    const existing = await this.inner.getFlag(key);
    const deleted = await this.inner.deleteFlag(key);
    await this.changed({ t: 'flag', key, ...(existing ? { id: existing.id } : {}) });
    return deleted;
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    const override = await this.inner.createOverride(input);
    const { flagId, entityType, entityId } = override;
    await this.changed({ t: 'override', flagId, entityType, entityId });
    return override;
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    const deleted = await this.inner.deleteOverride(flagId, entityType, entityId);
    await this.changed({ t: 'override', flagId, entityType, entityId });
    return deleted;
  }

  /** Asks the storage itself, never the cache; also tells the cache whether to call it degraded. */
  async healthCheck(): Promise<boolean> {
    const healthy = await this.inner.healthCheck();
    this.failing = !healthy;
    return healthy;
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.cache.clear();
    await this.options.invalidation?.close();
    if (this.options.closeInner ?? true) await this.inner.close();
  }

  private freshness(): CacheFreshness {
    return this.failing ? 'cached' : 'fresh';
  }

  /**
   * Read-through: a fresh entry answers at once; otherwise one storage call (shared by concurrent
   * readers) fills the entry. When that call fails an expired entry is served as `stale`, and with
   * `assumeAbsent` a lookup never made is answered `null` (stale) instead of failing.
   */
  private async read(
    cacheKey: string | undefined,
    load: () => Promise<Cached>,
    assumeAbsent: boolean,
    onFill?: (entry: TtlCacheEntry<Cached>) => void,
  ): Promise<CachedRead<Cached>> {
    const entry = cacheKey === undefined ? undefined : this.cache.getEntry(cacheKey);
    if (entry && this.cache.isFresh(entry)) {
      return { value: entry.value, freshness: this.freshness() };
    }
    try {
      return { value: await this.load(cacheKey, load, onFill), freshness: 'fresh' };
    } catch (error) {
      if (entry) return { value: entry.value, freshness: 'stale' };
      if (assumeAbsent) return { value: null, freshness: 'stale' };
      throw error;
    }
  }

  private load(
    cacheKey: string | undefined,
    load: () => Promise<Cached>,
    onFill?: (entry: TtlCacheEntry<Cached>) => void,
  ): Promise<Cached> {
    if (cacheKey === undefined) return this.track(load());
    const pending = this.loading.get(cacheKey);
    if (pending) return pending;
    const epoch = this.epoch;
    const loading = this.track(load())
      .then((value) => {
        if (epoch === this.epoch) {
          const entry = this.cache.set(cacheKey, value);
          onFill?.(entry);
        }
        return value;
      })
      .finally(() => {
        if (this.loading.get(cacheKey) === loading) this.loading.delete(cacheKey);
      });
    this.loading.set(cacheKey, loading);
    return loading;
  }

  private async track<T>(operation: Promise<T>): Promise<T> {
    try {
      const value = await operation;
      this.failing = false;
      return value;
    } catch (error) {
      this.failing = true;
      throw error;
    }
  }

  /** Invalidates here, then tells the other instances. */
  private async changed(invalidation: Invalidation): Promise<void> {
    this.invalidate(invalidation);
    await this.options.invalidation?.publish(JSON.stringify(invalidation));
  }

  private applyMessage(message: string): void {
    let invalidation: Invalidation;
    try {
      invalidation = JSON.parse(message) as Invalidation;
    } catch {
      return;
    }
    this.invalidate(invalidation);
  }

  private invalidate(invalidation: Invalidation): void {
    this.epoch++;
    // Reads in flight may carry the old value; later readers must not join them.
    this.loading.clear();
    if (invalidation?.t === 'flag' && typeof invalidation.key === 'string') {
      this.cache.delete(invalidation.key);
      if (typeof invalidation.id === 'string') {
        const prefix = NUL + invalidation.id + NUL;
        this.cache.deleteWhere((key) => key.startsWith(prefix));
        this.overrideIndex.delete(invalidation.id);
        this.forgetLastSlots();
      }
    } else if (invalidation?.t === 'override') {
      const { flagId, entityType, entityId } = invalidation;
      const cacheKey = overrideCacheKey(String(flagId), String(entityType), String(entityId));
      if (cacheKey !== undefined && this.cache.delete(cacheKey)) this.unindexOverride(cacheKey);
    } else {
      // A message this version does not understand: dropping everything is always safe.
      this.cache.clear();
      this.overrideIndex.clear();
      this.forgetLastSlots();
    }
  }

  private forgetLastSlots(): void {
    this.lastFlagId = this.lastEntityId = this.lastSlots = undefined;
  }

  /** Indexes under the caller's own id strings (hashed once, compared by pointer on hits). */
  private indexOverride(
    flagId: string,
    entityType: string,
    entityId: string,
    entry: TtlCacheEntry<Cached>,
  ): void {
    let byEntity = this.overrideIndex.get(flagId);
    if (byEntity === undefined) {
      this.overrideIndex.set(flagId, (byEntity = new Map<string, OverrideSlots>()));
    }
    let slots = byEntity.get(entityId);
    if (slots === undefined) {
      byEntity.set(entityId, (slots = new OverrideSlots()));
      this.forgetLastSlots();
    }
    slots.set(entityType, entry);
  }

  /** Forgets an override lookup's index slot (only `entry`'s, when given). */
  private unindexOverride(cacheKey: string, entry?: TtlCacheEntry<Cached>): void {
    if (cacheKey.charCodeAt(0) !== 0) return;
    const { flagId, entityType, entityId } = parseOverrideCacheKey(cacheKey);
    const byEntity = this.overrideIndex.get(flagId);
    const slots = byEntity?.get(entityId);
    if (!byEntity || !slots || (entry !== undefined && slots.get(entityType) !== entry)) return;
    slots.set(entityType, undefined);
    if (!slots.isEmpty()) return;
    byEntity.delete(entityId);
    if (byEntity.size === 0) this.overrideIndex.delete(flagId);
    this.forgetLastSlots();
  }
}

type Entry = TtlCacheEntry<Cached> | undefined;

/** The cached override lookups of one entity id for one flag, a fixed field per entity type. */
class OverrideSlots {
  user: Entry = undefined;
  organization: Entry = undefined;
  tenant: Entry = undefined;
  targetingKey: Entry = undefined;
  /** Entity types evaluation never asks for (the storage API accepts any string). */
  others: Map<string, Entry> | undefined = undefined;

  get(entityType: string): Entry {
    switch (entityType) {
      case 'user':
        return this.user;
      case 'organization':
        return this.organization;
      case 'tenant':
        return this.tenant;
      case 'targeting_key':
        return this.targetingKey;
      default:
        return this.others?.get(entityType);
    }
  }

  set(entityType: string, entry: Entry): void {
    switch (entityType) {
      case 'user':
        this.user = entry;
        break;
      case 'organization':
        this.organization = entry;
        break;
      case 'tenant':
        this.tenant = entry;
        break;
      case 'targeting_key':
        this.targetingKey = entry;
        break;
      default:
        if (entry === undefined) this.others?.delete(entityType);
        else (this.others ??= new Map()).set(entityType, entry);
    }
  }

  isEmpty(): boolean {
    return (
      !this.user && !this.organization && !this.tenant && !this.targetingKey && !this.others?.size
    );
  }
}

function parseOverrideCacheKey(cacheKey: string): {
  flagId: string;
  entityType: string;
  entityId: string;
} {
  const first = cacheKey.indexOf(NUL, 1);
  const second = cacheKey.indexOf(NUL, first + 1);
  return {
    flagId: cacheKey.slice(1, first),
    entityType: cacheKey.slice(first + 1, second),
    entityId: cacheKey.slice(second + 1),
  };
}

/** `undefined` when an id contains NUL: such lookups bypass the cache rather than risk a collision. */
function overrideCacheKey(
  flagId: string,
  entityType: string,
  entityId: string,
): string | undefined {
  // entityId may hold anything: the first two NULs delimit flagId and entityType.
  if (flagId.includes(NUL) || entityType.includes(NUL)) return undefined;
  return NUL + flagId + NUL + entityType + NUL + entityId;
}
