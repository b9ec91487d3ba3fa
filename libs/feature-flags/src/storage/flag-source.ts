import { DeclaredSources, type MaybePromise } from '@gatekeeper/common';
import { copyContext, overrideEntityId } from '../evaluation/evaluation-context';
import {
  NO_SEGMENTS,
  SegmentIndex,
  usesSegments,
  type SegmentLookup,
} from '../evaluation/segments';
import { inEnvironment, readEnvironments, type EnvironmentView } from '../evaluation/environments';
import { NO_SCHEDULES, ScheduleIndex, type ScheduleLookup } from '../evaluation/schedule-index';
import { isEnvironmentSlug } from '../models/environment.model';
import type { EvaluationContext } from '../models/evaluation.model';
import type { TimeSchedule } from '../models/time-schedule.model';
import {
  OVERRIDE_ENTITY_TYPES,
  type FeatureFlag,
  type FlagOverride,
} from '../models/feature-flag.model';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';

/**
 * How an answer was obtained: `fresh` from the storage or a cache entry within its ttl; `cached`
 * within the ttl while the storage is known to be failing; `stale` past the ttl (or an override
 * lookup that could not be made) because the storage failed.
 */
export type Freshness = 'fresh' | 'cached' | 'stale';

/** A flag as read, before its overrides, with what a bulk read read once for all its flags. */
export interface FlagRead {
  /** As stored: the context's environment is applied when its overrides are read. */
  flag: FeatureFlag;
  freshness: Freshness;
  /** Segments, read when a flag of the read names one. */
  segments?: SegmentLookup;
  /** The view of the context's environment; absent when it names none. */
  environment?: EnvironmentView;
  /** Time schedules, read when a flag of the read is active. */
  schedules?: ScheduleLookup;
}

/**
 * Everything evaluating one flag needs. The objects are the source's own (a cache's entries, the
 * memory storage's records): read them, never change them.
 */
export interface FlagInputs {
  /** As the context's environment configures it; `null`: no such flag. */
  flag: FeatureFlag | null;
  /** The overrides the context selects, in `OVERRIDE_ENTITY_TYPES` order (expired ones included). */
  overrides: FlagOverride[] | undefined;
  freshness: Freshness;
  /** The segments, when the flag's rules name one (else absent: the engine needs none). */
  segments?: SegmentLookup;
  /** The flag's time schedules, when it has some. */
  schedules?: readonly TimeSchedule[];
}

/**
 * Where `FeatureFlagClient` reads what an evaluation needs. Whether an answer comes synchronously
 * is the source's to say: a plain value when it has it in process, a promise otherwise. A source
 * reads `context` only before it returns, so a caller may change the object afterwards.
 * Failures throw or reject with the storage's error.
 */
export interface FlagSource {
  /** The flag `key` in the context's environment and the overrides `context` selects. */
  read(key: string, context: EvaluationContext): MaybePromise<FlagInputs>;
  /** The same, for a flag read by `readFlags` or `readActiveFlags` with this context. */
  readOverrides(read: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs>;
  /** The flags among `keys` that exist, by key, in one storage call. */
  readFlags(keys: readonly string[], context: EvaluationContext): Promise<Map<string, FlagRead>>;
  /** Every active flag. */
  readActiveFlags(context: EvaluationContext): Promise<FlagRead[]>;
}

/** Sources declared by the memory storage and the local cache (in their constructors). */
export const declaredFlagSources = new DeclaredSources<FeatureFlagStorage, FlagSource>([
  'getFlag',
  'getFlags',
  'getAllActiveFlags',
  'getOverride',
  'getOverriddenFlagIds',
  'getAllSegments',
  'getAllEnvironments',
  'getEnvironmentFlags',
  'getTimeSchedules',
]);

/** The source to evaluate `storage`'s flags from: its declared one, else its public methods. */
export function flagSourceOf(storage: FeatureFlagStorage): FlagSource {
  return declaredFlagSources.of(storage) ?? new StorageFlagSource(storage);
}

/** The worse of two freshnesses (`stale` over `cached` over `fresh`). */
export function worse(a: Freshness, b: Freshness | undefined): Freshness {
  return b === undefined || a === 'stale' || b === 'fresh' ? a : b;
}

/** The flag as the environment configures it. */
export function inView(flag: FeatureFlag, environment: EnvironmentView | undefined): FeatureFlag {
  return environment === undefined ? flag : inEnvironment(flag, environment.settingsFor(flag.id));
}

/** Any `FeatureFlagStorage`, through its methods: every answer is a promise. */
export class StorageFlagSource implements FlagSource {
  constructor(private readonly storage: FeatureFlagStorage) {}

  read(key: string, context: EvaluationContext): MaybePromise<FlagInputs> {
    const snapshot = copyContext(context);
    const environment = this.readEnvironment(snapshot.environment);
    return Promise.all([this.storage.getFlag(key), environment]).then(([flag, view]) => {
      if (!flag) return { flag: null, overrides: undefined, freshness: 'fresh' as const };
      return this.readOverrides({ flag, freshness: 'fresh', environment: view }, snapshot);
    });
  }

  readOverrides(read: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs> {
    const flag = inView(read.flag, read.environment);
    const lookups: Array<Promise<FlagOverride | null>> = [];
    // An inactive flag ignores overrides, schedules and rules, so don't pay for the lookups.
    const active = flag.status === 'active';
    for (const entityType of active ? OVERRIDE_ENTITY_TYPES : []) {
      const entityId = overrideEntityId(context, entityType);
      if (entityId) lookups.push(this.storage.getOverride(flag.id, entityType, entityId));
    }
    // Only for a flag that names a segment: any other costs no segment read.
    const segments =
      active && usesSegments(flag) ? (read.segments ?? this.readSegments()) : undefined;
    const schedules = active ? (read.schedules ?? this.readSchedules(flag.id)) : undefined;
    // In parallel: the lookups are independent and evaluation takes the first in order.
    return Promise.all([Promise.all(lookups), segments, schedules]).then(
      ([found, lookup, scheduled]) => {
        const overrides = found.filter((override): override is FlagOverride => override != null);
        const own = scheduled?.of(flag.id);
        return {
          flag,
          overrides: overrides.length > 0 ? overrides : undefined,
          freshness: 'fresh',
          ...(lookup !== undefined && { segments: lookup }),
          ...(own !== undefined && { schedules: own }),
        };
      },
    );
  }

  async readFlags(
    keys: readonly string[],
    context: EvaluationContext,
  ): Promise<Map<string, FlagRead>> {
    const [flags, environment] = await Promise.all([
      this.storage.getFlags(keys),
      this.readEnvironment(context.environment),
    ]);
    const shared = await this.sharedReads(flags.values(), environment);
    const reads = new Map<string, FlagRead>();
    for (const [key, flag] of flags) reads.set(key, { flag, freshness: 'fresh', ...shared });
    return reads;
  }

  async readActiveFlags(context: EvaluationContext): Promise<FlagRead[]> {
    const [flags, environment] = await Promise.all([
      this.storage.getAllActiveFlags(),
      this.readEnvironment(context.environment),
    ]);
    const shared = await this.sharedReads(flags, environment);
    return flags.map((flag) => ({ flag, freshness: 'fresh', ...shared }));
  }

  /** Every segment, in one storage call; none when the storage has no segment methods. */
  protected readSegments(): MaybePromise<SegmentLookup> {
    const storage = this.storage;
    if (typeof storage.getAllSegments !== 'function') return NO_SEGMENTS;
    return Promise.resolve(storage.getAllSegments()).then((list) => new SegmentIndex(list));
  }

  /** The time schedules of `flagId` (of every flag without it), in one storage call. */
  protected readSchedules(flagId?: string): MaybePromise<ScheduleLookup> {
    const storage = this.storage;
    if (typeof storage.getTimeSchedules !== 'function') return NO_SCHEDULES;
    return Promise.resolve(storage.getTimeSchedules(flagId)).then(
      (list) => new ScheduleIndex(list),
    );
  }

  /** The view of the environment `slug`; `undefined` when there is none. */
  protected readEnvironment(slug: string | undefined): MaybePromise<EnvironmentView | undefined> {
    if (slug === undefined || !isEnvironmentSlug(slug)) return undefined;
    return readEnvironments(this.storage, slug).then((snapshot) => snapshot?.view(slug));
  }

  /** What a bulk read reads once for all its flags (in the environment, when there is one). */
  private async sharedReads(
    flags: Iterable<FeatureFlag>,
    environment: EnvironmentView | undefined,
  ): Promise<Omit<FlagRead, 'flag' | 'freshness'>> {
    let segments: MaybePromise<SegmentLookup> | undefined;
    let schedules: MaybePromise<ScheduleLookup> | undefined;
    for (const stored of flags) {
      const flag = inView(stored, environment);
      if (flag.status !== 'active') continue;
      schedules ??= this.readSchedules();
      if (usesSegments(flag)) segments ??= this.readSegments();
    }
    const [segmentLookup, scheduleLookup] = await Promise.all([segments, schedules]);
    return {
      ...(segmentLookup !== undefined && { segments: segmentLookup }),
      ...(environment !== undefined && { environment }),
      ...(scheduleLookup !== undefined && { schedules: scheduleLookup }),
    };
  }
}
