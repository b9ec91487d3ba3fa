import type {
  CreateFlagInput,
  CreateOverrideInput,
  FeatureFlag,
  FlagOverride,
  UpdateFlagInput,
} from '../models/feature-flag.model';

/**
 * Where flags and overrides live. The module binds one implementation to `FEATURE_FLAG_STORAGE`;
 * the client, guard and health indicator only ever talk to this interface.
 *
 * Rules every implementation follows (the storage conformance suite checks them):
 * - objects returned are fresh copies: mutating them never changes what is stored;
 * - flags and overrides are normalised with `buildFlag` / `buildOverride`;
 * - failures of the underlying store reject the promise (the client turns that into defaults);
 *   only `healthCheck` swallows them;
 * - input is validated by the model builders (`FLAG_LIMITS`), so every backend refuses the same
 *   values with InvalidFlagError; a read by a key no flag could have (a NUL, a lone surrogate,
 *   too long) answers "not found" without asking the store.
 */
export interface FeatureFlagStorage {
  /** The flag with this key, whatever its status, or `null`. */
  getFlag(key: string): Promise<FeatureFlag | null>;

  /**
   * The flags among `keys` that exist, keyed by flag key (missing keys are absent from the map).
   * One round trip to the store, however many keys are asked for.
   */
  getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>>;

  /** Every flag whose status is `active`. */
  getAllActiveFlags(): Promise<FeatureFlag[]>;

  /** The override for this flag id and entity, or `null`; an expired override is `null`. */
  getOverride(flagId: string, entityType: string, entityId: string): Promise<FlagOverride | null>;

  /** @throws FlagAlreadyExistsError when the key is taken; InvalidFlagError on bad input. */
  createFlag(input: CreateFlagInput): Promise<FeatureFlag>;

  /**
   * Replaces the stored flag with the same key (a full replacement: read, change, write back),
   * rules and variants included, atomically. `id` and `createdAt` stay those of the stored flag;
   * `updatedAt` becomes now and `version` the stored version + 1.
   *
   * With `flag.version` (what `getFlag` returned) this is a compare-and-set: the write happens only
   * if the stored flag still has that version. Without `version` it is unconditional (last writer
   * wins, as before 0.3). `modifyFlag` wraps the read-change-write cycle with retries.
   * @throws FlagNotFoundError when no flag has this key.
   * @throws FlagVersionConflictError when `flag.version` is not the stored version.
   */
  updateFlag(flag: UpdateFlagInput): Promise<FeatureFlag>;

  /** Deletes the flag and all its overrides; `false` when there was no such flag. */
  deleteFlag(key: string): Promise<boolean>;

  /** Creates or replaces the override for (flagId, entityType, entityId). */
  createOverride(input: CreateOverrideInput): Promise<FlagOverride>;

  /** `false` when there was no such override. */
  deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean>;

  /** `true` when the store answers; never throws. */
  healthCheck(): Promise<boolean>;

  /** Releases connections this storage created itself (never a client or DataSource it was given). */
  close(): Promise<void>;
}
