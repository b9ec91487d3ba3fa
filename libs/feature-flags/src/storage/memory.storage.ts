import { deepCopy } from '@gatekeeper/common';
import {
  buildFlag,
  buildOverride,
  isOverrideExpired,
  isStorableKey,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
  type UpdateFlagInput,
} from '../models/feature-flag.model';
import {
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from '../models/segment.model';
import type {
  CreateEnvironmentFlagInput,
  CreateEnvironmentInput,
  Environment,
  EnvironmentFlag,
  UpdateEnvironmentFlagInput,
  UpdateEnvironmentInput,
} from '../models/environment.model';
import {
  applyScheduledItem,
  type CreateRolloutPhaseInput,
  type CreateScheduledChangeInput,
  type RolloutPhase,
  type ScheduledFlagChange,
  type ScheduledItem,
  type UpdateScheduledChangeInput,
} from '../models/scheduled-change.model';
import type { CreateTimeScheduleInput, TimeSchedule } from '../models/time-schedule.model';
import { MemoryEnvironments } from './memory-environments';
import { MemorySchedules } from './memory-schedules';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import { declaredFlagSources } from './flag-source';
import { MemoryFlagSource, type OverridesByFlag } from './memory.source';
import { MemorySegments } from './memory-segments';
import {
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagVersionConflictError,
} from './storage.errors';

/**
 * Process-local storage for development, tests and single-instance services. Nothing survives a
 * restart and instances do not share state. `FeatureFlagClient` evaluates its flags
 * synchronously, from the records themselves.
 */
export class MemoryFeatureFlagStorage implements FeatureFlagStorage {
  private readonly flags = new Map<string, FeatureFlag>();
  private readonly overrides: OverridesByFlag = new Map();
  private readonly segments = new MemorySegments();
  private readonly environments = new MemoryEnvironments(
    (flagId) => this.flagById(flagId) !== null,
  );
  private readonly schedules = new MemorySchedules({
    exists: (flagId) => this.flagById(flagId) !== null,
    apply: (flagId, scheduled, now) => this.applyScheduled(flagId, scheduled, now),
  });

  constructor() {
    const source = new MemoryFlagSource(this, {
      flags: this.flags,
      overrides: this.overrides,
      segments: this.segments,
      environments: this.environments,
      schedules: this.schedules,
    });
    declaredFlagSources.declare(this, MemoryFeatureFlagStorage, source);
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    const flag = this.flags.get(key);
    return flag ? deepCopy(flag) : null;
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const found = new Map<string, FeatureFlag>();
    for (const key of keys) {
      const flag = this.flags.get(key);
      if (flag) found.set(key, deepCopy(flag));
    }
    return found;
  }

  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    return [...this.flags.values()]
      .filter((flag) => flag.status === 'active')
      .map((flag) => deepCopy(flag));
  }

  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    const override = this.liveOverride(flagId, entityType, entityId);
    return override && deepCopy(override);
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = buildFlag({ ...input, version: 1 });
    if (this.flags.has(flag.key)) throw new FlagAlreadyExistsError(flag.key);
    this.flags.set(flag.key, flag);
    return deepCopy(flag);
  }

  async updateFlag(flag: UpdateFlagInput): Promise<FeatureFlag> {
    // No await between the check and the write: the compare-and-set is atomic.
    const stored = isStorableKey(flag.key) ? this.flags.get(flag.key) : undefined;
    if (!stored) throw new FlagNotFoundError(flag.key);
    if (flag.version !== undefined && flag.version !== stored.version) {
      throw new FlagVersionConflictError(flag.key, flag.version, stored.version);
    }
    const updated = buildFlag({
      ...flag,
      id: stored.id,
      createdAt: stored.createdAt,
      version: stored.version + 1,
    });
    this.flags.set(updated.key, updated);
    return deepCopy(updated);
  }

  async deleteFlag(key: string): Promise<boolean> {
    const flag = this.flags.get(key);
    if (!flag) return false;
    this.flags.delete(key);
    this.overrides.delete(flag.id);
    this.environments.forgetFlag(flag.id);
    this.schedules.forgetFlag(flag.id);
    return true;
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    const existing = this.liveOverride(input.flagId, input.entityType, input.entityId) ?? undefined;
    // An upsert keeps the identity of the live override it replaces.
    const override = buildOverride({
      ...input,
      id: existing?.id ?? input.id,
      createdAt: existing?.createdAt ?? input.createdAt,
    });
    const { flagId, entityType, entityId } = override;
    let byType = this.overrides.get(flagId);
    if (!byType)
      this.overrides.set(flagId, (byType = new Map<string, Map<string, FlagOverride>>()));
    let byId = byType.get(entityType);
    if (!byId) byType.set(entityType, (byId = new Map<string, FlagOverride>()));
    byId.set(entityId, override);
    return deepCopy(override);
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    return this.removeOverride(flagId, entityType, entityId);
  }

  /** Expired overrides count until read: the answer may only err towards "has some". */
  async getOverriddenFlagIds(): Promise<string[]> {
    return [...this.overrides.keys()];
  }

  async getSegment(id: string): Promise<Segment | null> {
    return this.segments.read(id);
  }

  async getSegmentByName(name: string): Promise<Segment | null> {
    return this.segments.readByName(name);
  }

  async getAllSegments(): Promise<Segment[]> {
    return this.segments.all();
  }

  async getChildSegments(parentId: string): Promise<Segment[]> {
    return this.segments.all().filter((segment) => segment.parentSegmentId === parentId);
  }

  async createSegment(input: CreateSegmentInput): Promise<Segment> {
    return this.segments.create(input);
  }

  async updateSegment(input: UpdateSegmentInput): Promise<Segment> {
    return this.segments.update(input);
  }

  async deleteSegment(id: string): Promise<boolean> {
    return this.segments.delete(id);
  }

  async getEnvironment(slug: string): Promise<Environment | null> {
    return this.environments.get(slug);
  }

  async getEnvironmentById(id: string): Promise<Environment | null> {
    return this.environments.getById(id);
  }

  async getAllEnvironments(): Promise<Environment[]> {
    return this.environments.all();
  }

  async getChildEnvironments(parentId: string): Promise<Environment[]> {
    return this.environments.all().filter((environment) => environment.parentId === parentId);
  }

  async createEnvironment(input: CreateEnvironmentInput): Promise<Environment> {
    return this.environments.create(input);
  }

  async updateEnvironment(input: UpdateEnvironmentInput): Promise<Environment> {
    return this.environments.update(input);
  }

  async deleteEnvironment(slug: string): Promise<boolean> {
    return this.environments.delete(slug);
  }

  async getEnvironmentFlag(environmentId: string, flagId: string): Promise<EnvironmentFlag | null> {
    return this.environments.getFlag(environmentId, flagId);
  }

  async getEnvironmentFlags(environmentId: string): Promise<EnvironmentFlag[]> {
    return this.environments.flagsOf(environmentId);
  }

  async getFlagEnvironments(flagId: string): Promise<EnvironmentFlag[]> {
    return this.environments.environmentsOf(flagId);
  }

  async createEnvironmentFlag(input: CreateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    return this.environments.createFlag(input);
  }

  async updateEnvironmentFlag(input: UpdateEnvironmentFlagInput): Promise<EnvironmentFlag> {
    return this.environments.updateFlag(input);
  }

  async deleteEnvironmentFlag(environmentId: string, flagId: string): Promise<boolean> {
    return this.environments.deleteFlag(environmentId, flagId);
  }

  async getScheduledChanges(flagId?: string, pendingOnly = true): Promise<ScheduledFlagChange[]> {
    return this.schedules.getChanges(flagId, pendingOnly);
  }

  async createScheduledChange(input: CreateScheduledChangeInput): Promise<ScheduledFlagChange> {
    return this.schedules.createChange(input);
  }

  async updateScheduledChange(input: UpdateScheduledChangeInput): Promise<ScheduledFlagChange> {
    return this.schedules.updateChange(input);
  }

  async deleteScheduledChange(id: string): Promise<boolean> {
    return this.schedules.deleteChange(id);
  }

  async applyScheduledChange(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.schedules.applyChange(id, now);
  }

  async getRolloutPhases(flagId?: string): Promise<RolloutPhase[]> {
    return this.schedules.getPhases(flagId);
  }

  async createRolloutPhase(input: CreateRolloutPhaseInput): Promise<RolloutPhase> {
    return this.schedules.createPhase(input);
  }

  async deleteRolloutPhase(id: string): Promise<boolean> {
    return this.schedules.deletePhase(id);
  }

  async applyRolloutPhase(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.schedules.applyPhase(id, now);
  }

  async getTimeSchedules(flagId?: string): Promise<TimeSchedule[]> {
    return this.schedules.getTimeSchedules(flagId);
  }

  async createTimeSchedule(input: CreateTimeScheduleInput): Promise<TimeSchedule> {
    return this.schedules.createTimeSchedule(input);
  }

  async deleteTimeSchedule(id: string): Promise<boolean> {
    return this.schedules.deleteTimeSchedule(id);
  }

  async healthCheck(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    // Nothing to release; the data stays readable, like a pool that was never opened.
  }

  private flagById(flagId: string): FeatureFlag | null {
    for (const flag of this.flags.values()) if (flag.id === flagId) return flag;
    return null;
  }

  /** A scheduled item's change to its flag, written as `updateFlag` writes (version + 1). */
  private applyScheduled(flagId: string, scheduled: ScheduledItem, now: Date): FeatureFlag | null {
    const stored = this.flagById(flagId);
    if (!stored) return null;
    const updated = buildFlag(
      { ...applyScheduledItem(stored, scheduled), version: stored.version + 1 },
      now,
    );
    this.flags.set(updated.key, updated);
    return deepCopy(updated);
  }

  private liveOverride(flagId: string, entityType: string, entityId: string): FlagOverride | null {
    const override = this.overrides.get(flagId)?.get(entityType)?.get(entityId);
    if (!override) return null;
    if (isOverrideExpired(override)) {
      // Expired entries are dead weight; dropping them on read keeps the maps from growing.
      this.removeOverride(flagId, entityType, entityId);
      return null;
    }
    return override;
  }

  private removeOverride(flagId: string, entityType: string, entityId: string): boolean {
    const byType = this.overrides.get(flagId);
    const byId = byType?.get(entityType);
    if (!byType || !byId?.delete(entityId)) return false;
    if (byId.size === 0) byType.delete(entityType);
    if (byType.size === 0) this.overrides.delete(flagId);
    return true;
  }
}
