import {
  isPromiseLike,
  TtlCache,
  type CacheResult,
  type GatekeeperMetrics,
  type MaybePromise,
  type TtlCacheEntry,
} from '@gatekeeper/common';
import { copyContext, overrideEntityId } from '../evaluation/evaluation-context';
import type { EnvironmentView } from '../evaluation/environments';
import type { EvaluationContext } from '../models/evaluation.model';
import {
  OVERRIDE_ENTITY_TYPES,
  type FeatureFlag,
  type FlagOverride,
  type OverrideEntityType,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import {
  inView,
  worse,
  type FlagInputs,
  type FlagRead,
  type FlagSource,
  type Freshness,
} from './flag-source';
import { LocalCacheSnapshots } from './local-cache.snapshots';
import { OverrideIndex, type OverrideSlots } from './override-index';
import type { CachedRead } from './snapshot-cache';

type Cached = FeatureFlag | FlagOverride | null;
type Entry = TtlCacheEntry<Cached>;

/** What the LRU caches: a flag, `[key]`, or an override lookup, `[flagId, entityType, entityId]`. */
type Lookup = [string] | [string, OverrideEntityType, string];

/**
 * The read side of `LocalCacheFeatureFlagStorage`: flags, missing flags and override lookups
 * (including "none") in one bounded LRU, read through from the wrapped storage.
 * - Fresh entries answer synchronously. From the first entry that is not, an evaluation goes on
 *   asynchronously, keeping what it found.
 * - Concurrent misses of one entry share one storage call.
 * - Every invalidation bumps an epoch: a read that started before it is returned, not cached.
 * - When the storage fails, an expired entry is served `stale`, and so is "no override" for a
 *   lookup never made. While the storage is known to be failing, hits are `cached`.
 */
export class LocalCacheFlagSource implements FlagSource {
  /** Holds the entries (JSON of their `Lookup` as key); hits find them through the indexes. */
  private readonly cache: TtlCache<Cached>;
  private readonly flags = new Map<string, Entry>();
  private readonly overrides = new OverrideIndex<Entry>();
  private readonly loading = new Map<string, Promise<Cached>>();
  private epoch = 0;
  /** Every segment, every time schedule, every environment: one entry each. */
  readonly snapshots: LocalCacheSnapshots;
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
    this.snapshots = new LocalCacheSnapshots(inner, ttlMs, now, (operation) =>
      this.track(operation),
    );
  }

  get size(): number {
    return this.cache.size;
  }

  read(key: string, context: EvaluationContext): MaybePromise<FlagInputs> {
    const now = this.now();
    const environment = this.snapshots.environment(context.environment, now, this.hit());
    const entry = this.flags.get(key);
    if (entry !== undefined && entry.expiresAt > now && !isPromiseLike(environment)) {
      entry.used = true;
      this.countFlag('hit');
      const flag = entry.value as FeatureFlag | null;
      const freshness = worse(this.hit(), environment?.freshness);
      return this.complete(flag, freshness, environment, context, now);
    }
    const snapshot = copyContext(context);
    // Fresh, the entry still serves: only the environment had to be read.
    const flag = this.lookup<FeatureFlag | null>(entry, [key], false);
    return Promise.all([flag, environment]).then(([read, inEnvironment]) =>
      this.complete(
        read.value,
        worse(read.freshness, inEnvironment?.freshness),
        inEnvironment,
        snapshot,
        this.now(),
      ),
    );
  }

  readOverrides(read: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs> {
    const environment = read.environment && { value: read.environment, freshness: read.freshness };
    return this.complete(read.flag, read.freshness, environment, context, this.now());
  }

  /** One storage call for every key not fresh here; if it fails, stale entries or the failure. */
  async readFlags(
    keys: readonly string[],
    context: EvaluationContext,
  ): Promise<Map<string, FlagRead>> {
    const reads = new Map<string, FlagRead>();
    const environment = await this.snapshots.environment(
      context.environment,
      this.now(),
      this.hit(),
    );
    const add = (key: string, flag: Cached, freshness: Freshness) =>
      flag &&
      reads.set(key, {
        flag: flag as FeatureFlag,
        freshness: worse(freshness, environment?.freshness),
        ...(environment?.value !== undefined && { environment: environment.value }),
      });
    const now = this.now();
    const expired = new Map<string, Entry | undefined>();
    for (const key of keys) {
      const entry = this.flags.get(key);
      if (entry === undefined || entry.expiresAt <= now) {
        expired.set(key, entry);
      } else {
        add(key, entry.value, this.hit());
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
        add(key, flag, 'fresh');
        this.countFlag('miss');
      }
    } catch (error) {
      const served = ![...expired.values()].includes(undefined);
      for (const [key, entry] of expired) {
        this.countFlag(served ? 'stale' : 'miss');
        if (served) add(key, entry!.value, 'stale');
      }
      if (!served) throw error;
    }
    return reads;
  }

  /** Never cached: it answers "which flags exist", and the health indicator relies on it. */
  async readActiveFlags(context: EvaluationContext): Promise<FlagRead[]> {
    const [flags, environment] = await Promise.all([
      this.track(() => this.inner.getAllActiveFlags()),
      this.snapshots.environment(context.environment, this.now(), this.hit()),
    ]);
    return flags.map((flag) => ({
      flag,
      freshness: worse('fresh', environment?.freshness),
      ...(environment?.value !== undefined && { environment: environment.value }),
    }));
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
    this.snapshots.expireAll();
    this.invalidate();
    this.cache.expireAll();
  }

  invalidateAll(): void {
    this.snapshots.invalidateAll();
    this.invalidate();
    this.cache.clear();
    this.flags.clear();
    this.overrides.clear();
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

  /** The inputs of `flag` in the environment: overrides, then segments and schedules. */
  private complete(
    stored: FeatureFlag | null,
    freshness: Freshness,
    environment: CachedRead<EnvironmentView | undefined> | undefined,
    context: EvaluationContext,
    now: number,
  ): MaybePromise<FlagInputs> {
    const flag = stored && inView(stored, environment?.value);
    return this.withSnapshots(this.overridesOf(flag, freshness, context, now), now);
  }

  private withSnapshots(inputs: MaybePromise<FlagInputs>, now: number): MaybePromise<FlagInputs> {
    if (isPromiseLike(inputs)) {
      return Promise.resolve(inputs).then((complete) => this.withSnapshots(complete, this.now()));
    }
    return this.snapshots.complete(inputs, now, this.hit());
  }

  /** The overrides `context` selects for `flag`: synchronously while their lookups are fresh. */
  private overridesOf(
    flag: FeatureFlag | null,
    freshness: Freshness,
    context: EvaluationContext,
    now: number,
  ): MaybePromise<FlagInputs> {
    let found: FlagOverride[] | undefined;
    if (flag !== null && flag.status === 'active') {
      const entities = this.overrides.entitiesOf(flag.id);
      let slotsId: string | undefined;
      let slots: OverrideSlots<Entry> | undefined;
      for (let i = 0; i < OVERRIDE_ENTITY_TYPES.length; i++) {
        const entityId = overrideEntityId(context, OVERRIDE_ENTITY_TYPES[i]);
        if (entityId === undefined) continue;
        // The user id is usually the targeting key too: one read of its slots serves both.
        if (entityId !== slotsId) {
          slots = entities?.get(entityId);
          slotsId = entityId;
        }
        const entry = slots?.[i];
        if (entry === undefined || entry.expiresAt <= now) {
          return this.readOverridesFrom(i, entry, flag, freshness, context, found);
        }
        entry.used = true;
        if (entry.value !== null) (found ??= []).push(entry.value as FlagOverride);
      }
    }
    return { flag, overrides: found, freshness };
  }

  /** From the first override lookup that was not fresh (`first`, `missed`) on, in parallel. */
  private async readOverridesFrom(
    first: number,
    missed: Entry | undefined,
    flag: FeatureFlag,
    freshness: Freshness,
    context: EvaluationContext,
    found: FlagOverride[] = [],
  ): Promise<FlagInputs> {
    const reads: Array<Promise<CachedRead<FlagOverride | null>>> = [];
    for (let i = first; i < OVERRIDE_ENTITY_TYPES.length; i++) {
      const entityType = OVERRIDE_ENTITY_TYPES[i];
      const entityId = overrideEntityId(context, entityType);
      if (entityId === undefined) continue;
      const entry = i === first ? missed : this.overrides.get(flag.id, entityType, entityId);
      const lookup = this.lookup<FlagOverride | null>(entry, [flag.id, entityType, entityId], true);
      reads.push(Promise.resolve(lookup));
    }
    let worst = freshness;
    for (const read of await Promise.all(reads)) {
      if (read.value !== null) found.push(read.value);
      if (read.freshness === 'stale' || worst === 'fresh') worst = read.freshness;
    }
    return { flag, overrides: found.length > 0 ? found : undefined, freshness: worst };
  }

  private hit(): Freshness {
    return this.failing ? 'cached' : 'fresh';
  }

  /** The entry while fresh, else a read through. */
  private lookup<T extends Cached>(
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

  private countFlag(result: CacheResult): void {
    this.metrics?.cacheRequest('feature_flags', result);
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
