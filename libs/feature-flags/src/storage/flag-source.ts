import { DeclaredSources, type MaybePromise } from '@gatekeeper/common';
import { copyContext, overrideEntityId } from '../evaluation/evaluation-context';
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

  readOverrides({ flag }: FlagRead, context: EvaluationContext): MaybePromise<FlagInputs> {
    const lookups: Array<Promise<FlagOverride | null>> = [];
    // An inactive flag ignores overrides, so don't pay for the lookups.
    for (const entityType of flag.status === 'active' ? OVERRIDE_ENTITY_TYPES : []) {
      const entityId = overrideEntityId(context, entityType);
      if (entityId) lookups.push(this.storage.getOverride(flag.id, entityType, entityId));
    }
    // In parallel: the lookups are independent and evaluation takes the first in order.
    return Promise.all(lookups).then((found) => {
      const overrides = found.filter((override): override is FlagOverride => override != null);
      return { flag, overrides: overrides.length > 0 ? overrides : undefined, freshness: 'fresh' };
    });
  }

  async readFlags(keys: readonly string[]): Promise<Map<string, FlagRead>> {
    const reads = new Map<string, FlagRead>();
    for (const [key, flag] of await this.storage.getFlags(keys)) {
      reads.set(key, { flag, freshness: 'fresh' });
    }
    return reads;
  }

  async readActiveFlags(): Promise<FlagRead[]> {
    const flags = await this.storage.getAllActiveFlags();
    return flags.map((flag) => ({ flag, freshness: 'fresh' }));
  }
}
