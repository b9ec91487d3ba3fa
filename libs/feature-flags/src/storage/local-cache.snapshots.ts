import { isPromiseLike, type MaybePromise } from '@gatekeeper/common';
import {
  readEnvironments,
  type EnvironmentSnapshot,
  type EnvironmentView,
} from '../evaluation/environments';
import { NO_SCHEDULES, ScheduleIndex, type ScheduleLookup } from '../evaluation/schedule-index';
import {
  NO_SEGMENTS,
  SegmentIndex,
  usesSegments,
  type SegmentLookup,
} from '../evaluation/segments';
import { isEnvironmentSlug } from '../models/environment.model';
import type { FeatureFlag } from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { worse, type FlagInputs, type Freshness } from './flag-source';
import { SnapshotCache, type CachedRead, type SnapshotChanges } from './snapshot-cache';

/** The ids of the flags that have overrides; `null` when the storage cannot tell (any may). */
export type OverriddenFlags = ReadonlySet<string> | null;

/**
 * What the local cache keeps as whole snapshots beside its flag and override entries: every
 * segment, every time schedule, every environment with its flag settings, which flags have
 * overrides, one entry each. A storage without the methods has none of them (every segment
 * unknown, no schedules, no environments, overrides looked up for every flag).
 */
export class LocalCacheSnapshots {
  private readonly segments: SnapshotCache<SegmentLookup>;
  private readonly schedules: SnapshotCache<ScheduleLookup>;
  private readonly environments: SnapshotCache<EnvironmentSnapshot | undefined>;
  private readonly overridden: SnapshotCache<Set<string> | null>;
  private readonly changes: SnapshotChanges = { count: 0 };

  constructor(
    inner: FeatureFlagStorage,
    ttlMs: number,
    now: () => number,
    /** Runs a storage call, noting whether it failed. */
    track: <T>(operation: () => Promise<T>) => Promise<T>,
  ) {
    const snapshot = <T>(load: () => Promise<T>, servesExpired = false) =>
      new SnapshotCache(() => track(load), ttlMs, now, this.changes, servesExpired);
    this.segments = snapshot(async () =>
      inner.getAllSegments ? new SegmentIndex(await inner.getAllSegments()) : NO_SEGMENTS,
    );
    this.schedules = snapshot(async () =>
      inner.getTimeSchedules ? new ScheduleIndex(await inner.getTimeSchedules()) : NO_SCHEDULES,
    );
    this.environments = snapshot(() => readEnvironments(inner));
    // Reloaded in the background: on Redis the read is a SCAN of several pages.
    this.overridden = snapshot(async () => {
      const ids = inner.getOverriddenFlagIds ? await inner.getOverriddenFlagIds() : null;
      return ids && new Set(ids);
    }, true);
  }

  /** Counts every change of a snapshot: what was worked out from them holds while it stays. */
  get generation(): number {
    return this.changes.count;
  }

  /**
   * Until when (the clock's ms) the inputs `complete` made for `flag` (as seen in an environment,
   * when `inEnvironment`) stay what every context gets: -Infinity when they depend on the context
   * (the flag has overrides, or the cache cannot tell).
   */
  contextFreeUntil(flag: FeatureFlag | null, inEnvironment: boolean, now: number): number {
    const until = inEnvironment ? this.environments.freshUntil : Infinity;
    if (flag === null || flag.status !== 'active') return until;
    const overridden = this.overridden.peek(now);
    if (overridden == null || overridden.has(flag.id)) return -Infinity;
    const attached = Math.min(until, this.overridden.freshUntil, this.schedules.freshUntil);
    return usesSegments(flag) ? Math.min(attached, this.segments.freshUntil) : attached;
  }

  /** Which flags have overrides: synchronously while fresh (`hit` says how). */
  overriddenFlags(now: number, hit: Freshness): MaybePromise<CachedRead<OverriddenFlags>> {
    return this.overridden.read(now, hit);
  }

  /**
   * An override of `flagId` was written: from now on its lookups are made. (A deleted one keeps
   * them until the next read of the ids: looking up an override that is gone is merely slower.)
   */
  overrideChanged(flagId: string): void {
    this.overridden.patch((ids) => ids?.add(flagId));
  }

  /**
   * The view of the environment `slug`, synchronously while fresh (`hit` says how); `undefined`
   * without one (a slug no environment could have costs no read).
   */
  environment(
    slug: string | undefined,
    now: number,
    hit: Freshness,
  ): MaybePromise<CachedRead<EnvironmentView | undefined>> | undefined {
    if (slug === undefined || !isEnvironmentSlug(slug)) return undefined;
    const viewOf = (read: CachedRead<EnvironmentSnapshot | undefined>) => ({
      value: read.value?.view(slug),
      freshness: read.freshness,
    });
    const read = this.environments.read(now, hit);
    return isPromiseLike(read) ? Promise.resolve(read).then(viewOf) : viewOf(read);
  }

  /**
   * Adds the segments (for a flag that names one) and the time schedules (for any active flag)
   * to complete inputs: synchronously while they are fresh. The freshness of the answer is the
   * worst of them.
   */
  complete(inputs: FlagInputs, now: number, hit: Freshness): MaybePromise<FlagInputs> {
    const flag = inputs.flag;
    if (flag === null || flag.status !== 'active') return inputs;
    // Hot path: fresh snapshots are attached without a closure or an array.
    const schedules = this.schedules.read(now, hit);
    const segments = usesSegments(flag) ? this.segments.read(now, hit) : undefined;
    if (!isPromiseLike(schedules) && !isPromiseLike(segments)) {
      return attach(inputs, flag.id, schedules, segments);
    }
    return Promise.all([schedules, segments]).then(([scheduled, segmented]) =>
      attach(inputs, flag.id, scheduled, segmented),
    );
  }

  /** Drops the segments: the next evaluation that needs them reads them again. */
  invalidateSegments(): void {
    this.segments.invalidate();
  }

  invalidateSchedules(): void {
    this.schedules.invalidate();
  }

  invalidateEnvironments(): void {
    this.environments.invalidate();
  }

  invalidateAll(): void {
    this.invalidateSegments();
    this.invalidateSchedules();
    this.invalidateEnvironments();
    this.overridden.invalidate();
  }

  /** Every snapshot read again at its next use, kept to serve stale meanwhile. */
  expireAll(): void {
    this.segments.expire();
    this.schedules.expire();
    this.environments.expire();
    this.overridden.expire();
  }
}

/** The flag's schedules and the segments into its inputs; the freshness is the worst of them. */
function attach(
  inputs: FlagInputs,
  flagId: string,
  scheduled: CachedRead<ScheduleLookup>,
  segmented: CachedRead<SegmentLookup> | undefined,
): FlagInputs {
  const own = scheduled.value.of(flagId);
  if (own !== undefined) inputs.schedules = own;
  inputs.freshness = worse(inputs.freshness, scheduled.freshness);
  if (segmented !== undefined) {
    inputs.segments = segmented.value;
    inputs.freshness = worse(inputs.freshness, segmented.freshness);
  }
  return inputs;
}
