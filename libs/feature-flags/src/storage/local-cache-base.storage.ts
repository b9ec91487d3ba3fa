import {
  DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
  InvalidatedCache,
  type LocalCacheWrapperOptions,
} from '@gatekeeper/common';
import { isOverrideEntityType, type FeatureFlag } from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import {
  FlagsChangedListeners,
  type FlagsChanged,
  type FlagsChangedListener,
} from './flag-changes';
import { LocalCacheFlagSource } from './local-cache.source';
import { FeatureFlagStorageError, FlagVersionConflictError } from './storage.errors';

/**
 * `ttl`: seconds a flag (or an override lookup) is answered from process memory without asking the
 * storage; `maxEntries` counts flags and override lookups together.
 */
export type LocalCacheFeatureFlagStorageOptions = LocalCacheWrapperOptions;

/** Invalidation messages, JSON over the bus. */
export type Invalidation =
  | { t: 'flag'; key: string; id?: string }
  | { t: 'override'; flagId: string; entityType: string; entityId: string }
  | { t: 'segment' }
  | { t: 'environment' }
  | { t: 'schedule' }
  /** Anything may have changed (a failed write that names no flag). */
  | { t: 'all' };

/** The optional methods of the storage interface (segments, environments, schedules). */
type OptionalMethod = {
  [M in keyof FeatureFlagStorage]-?: undefined extends FeatureFlagStorage[M] ? M : never;
}[keyof FeatureFlagStorage];

type Method<M extends OptionalMethod> = NonNullable<FeatureFlagStorage[M]>;

/** Any segment write: every flag may name the segment (or one below it), so all are dropped. */
export const SEGMENTS = (): Invalidation => ({ t: 'segment' });
export const ENVIRONMENTS = (): Invalidation => ({ t: 'environment' });
export const SCHEDULES = (): Invalidation => ({ t: 'schedule' });
/**
 * An applied scheduled change or phase changed its flag (`null`: nothing was applied); one that
 * failed names no flag, so every instance drops everything.
 */
export const flagWritten = (flag: FeatureFlag | null | undefined): Invalidation | null =>
  flag === undefined ? { t: 'all' } : flag && { t: 'flag', key: flag.key, id: flag.id };

/**
 * What `LocalCacheFeatureFlagStorage` is built on: its source (entries and snapshots), the
 * invalidation messages and how each applies here, the change listeners, and the forwarding of
 * the wrapped storage's optional methods (`call`, and `write`, which invalidates after).
 */
export abstract class LocalCacheStorageBase extends InvalidatedCache<Invalidation> {
  protected readonly source: LocalCacheFlagSource;
  private readonly changes = new FlagsChangedListeners();

  protected constructor(
    readonly inner: FeatureFlagStorage,
    options: LocalCacheFeatureFlagStorageOptions,
  ) {
    super(options.invalidation);
    const maxEntries = options.maxEntries ?? DEFAULT_LOCAL_CACHE_MAX_ENTRIES;
    const now = options.now ?? Date.now;
    this.source = new LocalCacheFlagSource(
      inner,
      options.ttl * 1000,
      maxEntries,
      now,
      options.metrics,
    );
  }

  /** Entries held (flags and override lookups), for monitoring. */
  get size(): number {
    return this.source.entries.size;
  }

  invalidateAll(): void {
    this.source.invalidateAll();
    this.changes.emit({ kind: 'all' });
  }

  /**
   * Invalidations may have been lost while the bus was away (a Redis failover, say): everything
   * is read again at its next use, but kept meanwhile, so that a storage still failing gets
   * STALE answers rather than errors. A flag value is never a secret that must vanish at once.
   */
  protected override onBusReset(): void {
    this.source.expireAll();
    this.changes.emit({ kind: 'all' });
  }

  /**
   * Calls `listener` after each change this cache applies: writes made through it and, over the
   * invalidation bus, writes made by other instances (`GatekeeperProvider` turns them into
   * OpenFeature change events). Returns a function that removes the listener.
   */
  onFlagsChanged(listener: FlagsChangedListener): () => void {
    return this.changes.add(listener);
  }

  /** Asks the storage itself, never the cache; a failed check marks cached answers CACHED. */
  async healthCheck(): Promise<boolean> {
    const healthy = await this.inner.healthCheck();
    this.source.entries.failing = !healthy;
    return healthy;
  }

  /** A method of the wrapped storage, bound; it may be a storage written without it. */
  protected call<M extends OptionalMethod>(method: M): Method<M> {
    const implementation = this.inner[method] as ((...args: never[]) => unknown) | undefined;
    if (typeof implementation !== 'function') {
      const missing = async () => {
        throw new FeatureFlagStorageError(`the wrapped storage has no ${method}()`);
      };
      return missing;
    }
    return implementation.bind(this.inner) as Method<M>;
  }

  /**
   * A write of the wrapped storage, then the invalidation of what it changed, also when it failed
   * (`changing`: `changed` gets `undefined` then).
   */
  protected write<M extends OptionalMethod>(
    method: M,
    changed: (result: Awaited<ReturnType<Method<M>>> | undefined) => Invalidation | null,
  ): Method<M> {
    type Result = Awaited<ReturnType<Method<M>>>;
    const call = this.call(method) as (...args: Parameters<Method<M>>) => Promise<Result>;
    return ((...args: Parameters<Method<M>>) =>
      this.changing(changed, () => call(...args))) as Method<M>;
  }

  /**
   * The storages' own errors are refusals, made before anything is written (a duplicate key, an
   * invalid flag, a missing reference, a closed storage). A version conflict is one too, but
   * says the copy read here was stale: it is dropped, so that the next read (a `modifyFlag`
   * retry) asks the storage.
   */
  protected override refused(error: unknown): boolean {
    return error instanceof FeatureFlagStorageError && !(error instanceof FlagVersionConflictError);
  }

  protected invalidate(invalidation: Invalidation | null): void {
    let change: FlagsChanged | undefined;
    if (invalidation?.t === 'flag' && typeof invalidation.key === 'string') {
      const { key, id } = invalidation;
      this.source.invalidateFlag(key, typeof id === 'string' ? id : undefined);
      change = { kind: 'flag', key };
    } else if (invalidation?.t === 'override') {
      const { flagId, entityType, entityId } = invalidation;
      // Lookups of other entity types are never cached.
      if (isOverrideEntityType(entityType)) {
        this.source.invalidateOverride(String(flagId), entityType, String(entityId));
      }
      change = { kind: 'override', flagId: String(flagId) };
    } else if (invalidation?.t === 'segment') {
      this.source.snapshots.invalidateSegments();
      // Any flag may name the segment (or one below it).
      change = { kind: 'all' };
    } else if (invalidation?.t === 'environment') {
      this.source.snapshots.invalidateEnvironments();
      change = { kind: 'all' };
    } else if (invalidation?.t === 'schedule') {
      this.source.snapshots.invalidateSchedules();
      change = { kind: 'all' };
    } else {
      // `all`, or a message this version does not know.
      this.invalidateAll();
    }
    if (change && this.changes.size > 0) this.changes.emit(change);
  }
}
