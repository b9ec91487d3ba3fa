import type {
  CreateFlagInput,
  CreateOverrideInput,
  FeatureFlag,
  FlagOverride,
  UpdateFlagInput,
} from '../models/feature-flag.model';
import type {
  CreateEnvironmentFlagInput,
  CreateEnvironmentInput,
  Environment,
  EnvironmentFlag,
  UpdateEnvironmentFlagInput,
  UpdateEnvironmentInput,
} from '../models/environment.model';
import type {
  CreateRolloutPhaseInput,
  CreateScheduledChangeInput,
  RolloutPhase,
  ScheduledFlagChange,
  UpdateScheduledChangeInput,
} from '../models/scheduled-change.model';
import type { CreateSegmentInput, Segment, UpdateSegmentInput } from '../models/segment.model';
import type { CreateTimeScheduleInput, TimeSchedule } from '../models/time-schedule.model';

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

  /**
   * Deletes the flag with all its overrides, environment flags, scheduled changes, rollout phases
   * and time schedules; `false` when there was no such flag.
   */
  deleteFlag(key: string): Promise<boolean>;

  /** Creates or replaces the override for (flagId, entityType, entityId). */
  createOverride(input: CreateOverrideInput): Promise<FlagOverride>;

  /** `false` when there was no such override. */
  deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean>;

  /**
   * The ids of the flags that have overrides (expired ones may count), or `null` when the store
   * cannot tell cheaply. Optional: the local cache uses it to skip the per-entity override
   * lookups of every other flag; without it, it looks each entity up.
   */
  getOverriddenFlagIds?(): Promise<string[] | null>;

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

  /*
   * Environments (optional for the same reason; every built-in storage has them). Without
   * `getAllEnvironments` and `getEnvironmentFlags`, a context's `environment` changes nothing.
   */

  /** The environment with this slug, or `null`. */
  getEnvironment?(slug: string): Promise<Environment | null>;

  /** The environment with this id, or `null`. */
  getEnvironmentById?(id: string): Promise<Environment | null>;

  /** Every environment, by slug. One round trip. */
  getAllEnvironments?(): Promise<Environment[]>;

  /** The environments whose `parentId` is `parentId`, by slug. */
  getChildEnvironments?(parentId: string): Promise<Environment[]>;

  /** @throws EnvironmentAlreadyExistsError when the slug is taken, even under a race; InvalidFlagError on bad input. */
  createEnvironment?(input: CreateEnvironmentInput): Promise<Environment>;

  /**
   * Replaces the stored environment with the same id (`createdAt` kept, `updatedAt` now).
   * @throws EnvironmentNotFoundError when no environment has this id.
   * @throws EnvironmentAlreadyExistsError when the new slug is another environment's.
   */
  updateEnvironment?(input: UpdateEnvironmentInput): Promise<Environment>;

  /**
   * Deletes the environment and its environment flags; `false` when there was none. Environments
   * below it keep their `parentId`, which now names nothing: their chain ends with them.
   */
  deleteEnvironment?(slug: string): Promise<boolean>;

  /** How the flag is configured in the environment (ids), or `null` when it inherits everything. */
  getEnvironmentFlag?(environmentId: string, flagId: string): Promise<EnvironmentFlag | null>;

  /** Every environment flag of the environment, by flag id. One round trip. */
  getEnvironmentFlags?(environmentId: string): Promise<EnvironmentFlag[]>;

  /** Every environment flag of the flag, by environment id. */
  getFlagEnvironments?(flagId: string): Promise<EnvironmentFlag[]>;

  /**
   * @throws EnvironmentFlagAlreadyExistsError when the pair is configured already, even under a race.
   * @throws ReferenceNotFoundError when the environment or the flag does not exist.
   */
  createEnvironmentFlag?(input: CreateEnvironmentFlagInput): Promise<EnvironmentFlag>;

  /**
   * Replaces the settings of the pair (`id` and `createdAt` kept).
   * @throws EnvironmentFlagNotFoundError when the pair has no settings yet.
   */
  updateEnvironmentFlag?(input: UpdateEnvironmentFlagInput): Promise<EnvironmentFlag>;

  /** `false` when the pair had no settings. */
  deleteEnvironmentFlag?(environmentId: string, flagId: string): Promise<boolean>;

  /*
   * Scheduled changes and rollout phases. The scheduler (`FlagScheduler`) applies due ones with
   * `applyScheduledChange` / `applyRolloutPhase`, which each backend makes atomic and once-only.
   */

  /**
   * The scheduled changes of the flag (of every flag without `flagId`), by `scheduledAt` then id;
   * only the pending ones unless `pendingOnly` is `false`.
   */
  getScheduledChanges?(flagId?: string, pendingOnly?: boolean): Promise<ScheduledFlagChange[]>;

  /** @throws ReferenceNotFoundError when the flag does not exist; InvalidFlagError on bad input. */
  createScheduledChange?(input: CreateScheduledChangeInput): Promise<ScheduledFlagChange>;

  /**
   * Replaces the stored change with the same id (`createdAt` kept). Marking a change executed
   * this way cancels it: the flag is not changed.
   * @throws ScheduledChangeNotFoundError when no change has this id.
   */
  updateScheduledChange?(input: UpdateScheduledChangeInput): Promise<ScheduledFlagChange>;

  /** `false` when there was no such change. */
  deleteScheduledChange?(id: string): Promise<boolean>;

  /**
   * Applies the change to its flag (`applyScheduledItem`) and marks it executed at `now`, as one
   * atomic write that happens once however many instances call it: the updated flag when this
   * call applied it, `null` when the change was executed already or no longer exists. A crash
   * leaves both written or neither.
   */
  applyScheduledChange?(id: string, now: Date): Promise<FeatureFlag | null>;

  /** The flag's rollout phases (every flag's without `flagId`), by flag then `phaseNumber`. */
  getRolloutPhases?(flagId?: string): Promise<RolloutPhase[]>;

  /**
   * @throws RolloutPhaseAlreadyExistsError when the flag has a phase with this number.
   * @throws ReferenceNotFoundError when the flag does not exist.
   */
  createRolloutPhase?(input: CreateRolloutPhaseInput): Promise<RolloutPhase>;

  /** `false` when there was no such phase. */
  deleteRolloutPhase?(id: string): Promise<boolean>;

  /** As `applyScheduledChange`, for a rollout phase. */
  applyRolloutPhase?(id: string, now: Date): Promise<FeatureFlag | null>;

  /*
   * Time schedules: a flag with enabled schedules is on only inside one of their windows.
   */

  /** The flag's time schedules (every flag's without `flagId`), by flag then name. One round trip. */
  getTimeSchedules?(flagId?: string): Promise<TimeSchedule[]>;

  /** @throws ReferenceNotFoundError when the flag does not exist; InvalidFlagError on bad input. */
  createTimeSchedule?(input: CreateTimeScheduleInput): Promise<TimeSchedule>;

  /** `false` when there was no such schedule. */
  deleteTimeSchedule?(id: string): Promise<boolean>;

  /** `true` when the store answers; never throws. */
  healthCheck(): Promise<boolean>;

  /** Releases connections this storage created itself (never a client or DataSource it was given). */
  close(): Promise<void>;
}
