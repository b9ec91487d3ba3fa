import type {
  CreateFlagInput,
  CreateOverrideInput,
  FeatureFlag,
  FlagOverride,
  UpdateFlagInput,
} from '../models/feature-flag.model';
import type { CreateSegmentInput, Segment, UpdateSegmentInput } from '../models/segment.model';

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

  /*
   * Segments. Optional, so that storages written before 0.4 keep compiling; every built-in
   * storage has them. Rules using `in_segment` / `not_in_segment` need `getAllSegments`: on a
   * storage without it every segment is unknown (`in_segment` false, `not_in_segment` true).
   */

  /** The segment with this id, or `null`. */
  getSegment?(id: string): Promise<Segment | null>;

  /** The segment with this name, or `null`. */
  getSegmentByName?(name: string): Promise<Segment | null>;

  /** Every segment, by name. One round trip: evaluation reads them all at once. */
  getAllSegments?(): Promise<Segment[]>;

  /** The segments whose `parentSegmentId` is `parentId`, by name. */
  getChildSegments?(parentId: string): Promise<Segment[]>;

  /** @throws SegmentAlreadyExistsError when the name is taken, even under a race; InvalidFlagError on bad input. */
  createSegment?(input: CreateSegmentInput): Promise<Segment>;

  /**
   * Replaces the stored segment with the same id (`createdAt` kept, `updatedAt` now).
   * @throws SegmentNotFoundError when no segment has this id.
   * @throws SegmentAlreadyExistsError when the new name is another segment's.
   */
  updateSegment?(segment: UpdateSegmentInput): Promise<Segment>;

  /**
   * `false` when there was no such segment. Segments below it keep their `parentSegmentId`; a
   * parent that does not exist has no members, so neither have they.
   */
  deleteSegment?(id: string): Promise<boolean>;

  /** `true` when the store answers; never throws. */
  healthCheck(): Promise<boolean>;

  /** Releases connections this storage created itself (never a client or DataSource it was given). */
  close(): Promise<void>;
}
