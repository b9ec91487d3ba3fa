import { deepCopy } from '@gatekeeper/common';
import {
  isOverrideEntityType,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
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
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { declaredFlagSources } from './flag-source';
import {
  ENVIRONMENTS,
  flagWritten,
  LocalCacheStorageBase,
  SCHEDULES,
  SEGMENTS,
  type LocalCacheFeatureFlagStorageOptions,
} from './local-cache-base.storage';

export type { LocalCacheFeatureFlagStorageOptions } from './local-cache-base.storage';

/**
 * An in-process, bounded (LRU) cache in front of any `FeatureFlagStorage`, for the database and
 * Redis backends (`localCache: { ttl, maxEntries }`). Flags, missing flags and override lookups
 * (including "none") are cached, and `FeatureFlagClient` evaluates cached flags synchronously.
 * Writes made through this storage invalidate the local entries and, through the invalidation
 * bus, those of every other instance.
 *
 * When the wrapped storage fails, what is cached keeps being served — within the ttl as usual,
 * past it as stale data — instead of failing; `healthCheck` and `getAllActiveFlags` are never
 * answered from the cache, so the health indicator still reports the outage.
 */
export class LocalCacheFeatureFlagStorage
  extends LocalCacheStorageBase
  implements FeatureFlagStorage
{
  constructor(inner: FeatureFlagStorage, options: LocalCacheFeatureFlagStorageOptions) {
    super(inner, options);
    declaredFlagSources.declare(this, LocalCacheFeatureFlagStorage, this.source);
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    return deepCopy((await this.source.entries.readFlag(key)).value);
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const found = new Map<string, FeatureFlag>();
    for (const [key, { flag }] of await this.source.readFlags(keys, {})) {
      found.set(key, deepCopy(flag));
    }
    return found;
  }

  /** Never cached: it answers "which flags exist", and the health indicator relies on it. */
  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    return this.source.entries.track(() => this.inner.getAllActiveFlags());
  }

  /** Lookups of the entity types evaluation uses are cached; any other goes to the storage. */
  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    if (!isOverrideEntityType(entityType))
      return this.inner.getOverride(flagId, entityType, entityId);
    return deepCopy((await this.source.entries.readOverride(flagId, entityType, entityId)).value);
  }

  /*
   * Flag and override writes invalidate what they name, also when they failed unless the storage
   * refused them (`changing`, `refused`): a failed write may have been applied. A create drops a
   * cached miss.
   */

  createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    return this.changing({ t: 'flag', key: input.key }, () => this.inner.createFlag(input));
  }

  updateFlag(flag: UpdateFlagInput): Promise<FeatureFlag> {
    return this.changing({ t: 'flag', key: flag.key }, () => this.inner.updateFlag(flag));
  }

  async deleteFlag(key: string): Promise<boolean> {
    // The id names the flag's cached override lookups, which go with it.
    const existing = await this.inner.getFlag(key);
    const invalidation = { t: 'flag', key, ...(existing ? { id: existing.id } : {}) } as const;
    return this.changing(invalidation, () => this.inner.deleteFlag(key));
  }

  createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    const { flagId, entityType, entityId } = input;
    return this.changing({ t: 'override', flagId, entityType, entityId }, () =>
      this.inner.createOverride(input),
    );
  }

  deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    return this.changing({ t: 'override', flagId, entityType, entityId }, () =>
      this.inner.deleteOverride(flagId, entityType, entityId),
    );
  }

  /** The wrapped storage's answer, or `null` (cannot tell) for one written without the method. */
  async getOverriddenFlagIds(): Promise<string[] | null> {
    return this.inner.getOverriddenFlagIds ? this.inner.getOverriddenFlagIds() : null;
  }

  /*
   * Segments, environments and schedules: admin reads go to the wrapped storage; evaluation reads
   * them from the cache (all of a kind as one entry), which every write of that kind drops here
   * and, over the bus, elsewhere. Applying a scheduled change or phase is a write of its flag.
   */

  getSegment(id: string): Promise<Segment | null> {
    return this.call('getSegment')(id);
  }

  getSegmentByName(name: string): Promise<Segment | null> {
    return this.call('getSegmentByName')(name);
  }

  getAllSegments(): Promise<Segment[]> {
    return this.call('getAllSegments')();
  }

  getChildSegments(parentId: string): Promise<Segment[]> {
    return this.call('getChildSegments')(parentId);
  }

  createSegment(input: CreateSegmentInput): Promise<Segment> {
    return this.write('createSegment', SEGMENTS)(input);
  }

  updateSegment(input: UpdateSegmentInput): Promise<Segment> {
    return this.write('updateSegment', SEGMENTS)(input);
  }

  deleteSegment(id: string): Promise<boolean> {
    return this.write('deleteSegment', SEGMENTS)(id);
  }

  getEnvironment(slug: string): Promise<Environment | null> {
    return this.call('getEnvironment')(slug);
  }

  getEnvironmentById(id: string): Promise<Environment | null> {
    return this.call('getEnvironmentById')(id);
  }

  getAllEnvironments(): Promise<Environment[]> {
    return this.call('getAllEnvironments')();
  }

  getChildEnvironments(parentId: string): Promise<Environment[]> {
    return this.call('getChildEnvironments')(parentId);
  }

  createEnvironment(input: CreateEnvironmentInput): Promise<Environment> {
    return this.write('createEnvironment', ENVIRONMENTS)(input);
  }

  updateEnvironment(input: UpdateEnvironmentInput): Promise<Environment> {
    return this.write('updateEnvironment', ENVIRONMENTS)(input);
  }

  deleteEnvironment(slug: string): Promise<boolean> {
    return this.write('deleteEnvironment', ENVIRONMENTS)(slug);
  }

  getEnvironmentFlag(environmentId: string, flagId: string): Promise<EnvironmentFlag | null> {
    return this.call('getEnvironmentFlag')(environmentId, flagId);
  }

  getEnvironmentFlags(environmentId: string): Promise<EnvironmentFlag[]> {
    return this.call('getEnvironmentFlags')(environmentId);
  }

  getFlagEnvironments(flagId: string): Promise<EnvironmentFlag[]> {
    return this.call('getFlagEnvironments')(flagId);
  }

  createEnvironmentFlag(input: CreateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    return this.write('createEnvironmentFlag', ENVIRONMENTS)(input);
  }

  updateEnvironmentFlag(input: UpdateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    return this.write('updateEnvironmentFlag', ENVIRONMENTS)(input);
  }

  deleteEnvironmentFlag(environmentId: string, flagId: string): Promise<boolean> {
    return this.write('deleteEnvironmentFlag', ENVIRONMENTS)(environmentId, flagId);
  }

  getScheduledChanges(flagId?: string, pendingOnly?: boolean): Promise<ScheduledFlagChange[]> {
    return this.call('getScheduledChanges')(flagId, pendingOnly);
  }

  createScheduledChange(input: CreateScheduledChangeInput): Promise<ScheduledFlagChange> {
    return this.call('createScheduledChange')(input);
  }

  updateScheduledChange(input: UpdateScheduledChangeInput): Promise<ScheduledFlagChange> {
    return this.call('updateScheduledChange')(input);
  }

  deleteScheduledChange(id: string): Promise<boolean> {
    return this.call('deleteScheduledChange')(id);
  }

  applyScheduledChange(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.write('applyScheduledChange', flagWritten)(id, now);
  }

  getRolloutPhases(flagId?: string): Promise<RolloutPhase[]> {
    return this.call('getRolloutPhases')(flagId);
  }

  createRolloutPhase(input: CreateRolloutPhaseInput): Promise<RolloutPhase> {
    return this.call('createRolloutPhase')(input);
  }

  deleteRolloutPhase(id: string): Promise<boolean> {
    return this.call('deleteRolloutPhase')(id);
  }

  applyRolloutPhase(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.write('applyRolloutPhase', flagWritten)(id, now);
  }

  getTimeSchedules(flagId?: string): Promise<TimeSchedule[]> {
    return this.call('getTimeSchedules')(flagId);
  }

  createTimeSchedule(input: CreateTimeScheduleInput): Promise<TimeSchedule> {
    return this.write('createTimeSchedule', SCHEDULES)(input);
  }

  deleteTimeSchedule(id: string): Promise<boolean> {
    return this.write('deleteTimeSchedule', SCHEDULES)(id);
  }
}
