import { DeclaredSources, type MaybePromise } from '@gatekeeper/common';
import { copyContext, overrideEntityId } from '../evaluation/evaluation-context';
import {
  NO_SEGMENTS,
  SegmentIndex,
  usesSegments,
  type SegmentLookup,
} from '../evaluation/segments';
import type { EvaluationContext } from '../models/evaluation.model';
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

/** A flag as read, before its overrides. */
export interface FlagRead {
  flag: FeatureFlag;
  freshness: Freshness;
  /** Segments read once for a bulk read (`readFlags`, `readActiveFlags`), when a flag needs them. */
  segments?: SegmentLookup;
}

/**
 * Everything evaluating one flag needs. The objects are the source's own (a cache's entries, the
 * memory storage's records): read them, never change them.
 */
export interface FlagInputs {
  /** `null`: no such flag. */
  flag: FeatureFlag | null;
  /** The overrides the context selects, in `OVERRIDE_ENTITY_TYPES` order (expired ones included). */
  overrides: FlagOverride[] | undefined;
  freshness: Freshness;
  /** The segments, when the flag's rules name one (else absent: the engine needs none). */
  segments?: SegmentLookup;
}

/**
 * Where `FeatureFlagClient` reads what an evaluation needs. Whether an answer comes synchronously
 * is the source's to say: a plain value when it has it in process, a promise otherwise. A source
 * reads `context` only before it returns, so a caller may change the object afterwards.
 * Failures throw or reject with the storage's error.
 */
export interface FlagSource {
  /** The flag `key` and the overrides `context` selects. */
  read(key: string, context: EvaluationContext): MaybePromise<FlagInputs>;
  /** The overrides `context` selects for a flag read by `readFlags` or `readActiveFlags`. */
  readOverrides(read: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs>;
  /** The flags among `keys` that exist, by key, in one storage call. */
  readFlags(keys: readonly string[]): Promise<Map<string, FlagRead>>;
  /** Every active flag. */
  readActiveFlags(): Promise<FlagRead[]>;
}

/** Sources declared by the memory storage and the local cache (in their constructors). */
export const declaredFlagSources = new DeclaredSources<FeatureFlagStorage, FlagSource>([
  'getFlag',
  'getFlags',
  'getAllActiveFlags',
  'getOverride',
  'getAllSegments',
]);

/** The source to evaluate `storage`'s flags from: its declared one, else its public methods. */
export function flagSourceOf(storage: FeatureFlagStorage): FlagSource {
  return declaredFlagSources.of(storage) ?? new StorageFlagSource(storage);
}

/** Any `FeatureFlagStorage`, through its methods: every answer is a promise. */
export class StorageFlagSource implements FlagSource {
  constructor(private readonly storage: FeatureFlagStorage) {}

  read(key: string, context: EvaluationContext): MaybePromise<FlagInputs> {
    const snapshot = copyContext(context);
    return Promise.resolve(this.storage.getFlag(key)).then((flag) => {
      if (!flag) return { flag: null, overrides: undefined, freshness: 'fresh' as const };
      return this.readOverrides({ flag, freshness: 'fresh' }, snapshot);
    });
  }

  readOverrides(read: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs> {
    const { flag } = read;
    const lookups: Array<Promise<FlagOverride | null>> = [];
    // An inactive flag ignores overrides and rules, so don't pay for the lookups.
    const active = flag.status === 'active';
    for (const entityType of active ? OVERRIDE_ENTITY_TYPES : []) {
      const entityId = overrideEntityId(context, entityType);
      if (entityId) lookups.push(this.storage.getOverride(flag.id, entityType, entityId));
    }
    // Only for a flag that names a segment: any other costs no segment read.
    const segments =
      active && usesSegments(flag) ? (read.segments ?? this.readSegments()) : undefined;
    // In parallel: the lookups are independent and evaluation takes the first in order.
    return Promise.all([Promise.all(lookups), segments]).then(([found, lookup]) => {
      const overrides = found.filter((override): override is FlagOverride => override != null);
      return {
        flag,
        overrides: overrides.length > 0 ? overrides : undefined,
        freshness: 'fresh',
        ...(lookup !== undefined && { segments: lookup }),
      };
    });
  }

  async readFlags(keys: readonly string[]): Promise<Map<string, FlagRead>> {
    const flags = await this.storage.getFlags(keys);
    const segments = await this.segmentsFor(flags.values());
    const reads = new Map<string, FlagRead>();
    for (const [key, flag] of flags) reads.set(key, { flag, freshness: 'fresh', segments });
    return reads;
  }

  async readActiveFlags(): Promise<FlagRead[]> {
    const flags = await this.storage.getAllActiveFlags();
    const segments = await this.segmentsFor(flags);
    return flags.map((flag) => ({ flag, freshness: 'fresh', segments }));
  }

  /** Every segment, in one storage call; none when the storage has no segment methods. */
  protected readSegments(): MaybePromise<SegmentLookup> {
    const storage = this.storage;
    if (typeof storage.getAllSegments !== 'function') return NO_SEGMENTS;
    return Promise.resolve(storage.getAllSegments()).then((list) => new SegmentIndex(list));
  }

  /** The segments of a bulk read, read once if any of the flags needs them. */
  private segmentsFor(flags: Iterable<FeatureFlag>): MaybePromise<SegmentLookup | undefined> {
    for (const flag of flags) {
      if (flag.status === 'active' && usesSegments(flag)) return this.readSegments();
    }
    return undefined;
  }
}
