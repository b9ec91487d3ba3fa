import { deepCopy } from '@gatekeeper/common';
import type { FeatureFlag } from '../models/feature-flag.model';
import {
  buildRolloutPhase,
  buildScheduledChange,
  type CreateRolloutPhaseInput,
  type CreateScheduledChangeInput,
  type RolloutPhase,
  type ScheduledFlagChange,
  type ScheduledItem,
  type UpdateScheduledChangeInput,
} from '../models/scheduled-change.model';
import { sortRolloutPhases, sortScheduledChanges, sortTimeSchedules } from '../models/ordering';
import {
  buildTimeSchedule,
  type CreateTimeScheduleInput,
  type TimeSchedule,
} from '../models/time-schedule.model';
import {
  InvalidFlagError,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  ScheduledChangeNotFoundError,
} from './storage.errors';

/** What the schedules need of the flags they belong to. */
export interface MemoryFlagAccess {
  exists(flagId: string): boolean;
  /** Applies `scheduled` to the stored flag (as `updateFlag` would): the new flag, or `null`. */
  apply(flagId: string, scheduled: ScheduledItem, now: Date): FeatureFlag | null;
}

/**
 * The scheduled changes, rollout phases and time schedules of a memory storage. Every method
 * checks and writes without an await in between, so claiming a due item and changing its flag
 * happen at once.
 */
export class MemorySchedules {
  private readonly changes = new Map<string, ScheduledFlagChange>();
  private readonly phases = new Map<string, RolloutPhase>();
  private readonly timeSchedules = new Map<string, TimeSchedule>();
  /** The time schedules by flag id, as evaluation reads them (the records themselves). */
  private readonly timeSchedulesByFlag = new Map<string, TimeSchedule[]>();

  constructor(private readonly flags: MemoryFlagAccess) {}

  getChanges(flagId: string | undefined, pendingOnly: boolean): ScheduledFlagChange[] {
    const changes = [...this.changes.values()]
      .filter((change) => flagId === undefined || change.flagId === flagId)
      .filter((change) => !pendingOnly || !change.executed)
      .map((change) => deepCopy(change));
    return sortScheduledChanges(changes);
  }

  createChange(input: CreateScheduledChangeInput): ScheduledFlagChange {
    const change = buildScheduledChange(input);
    this.requireFlag(change.flagId);
    if (this.changes.has(change.id)) {
      throw new InvalidFlagError(`a scheduled change with id "${change.id}" already exists`, 'id');
    }
    this.changes.set(change.id, change);
    return deepCopy(change);
  }

  updateChange(input: UpdateScheduledChangeInput): ScheduledFlagChange {
    const stored = this.changes.get(input.id);
    if (!stored) throw new ScheduledChangeNotFoundError(input.id);
    const change = buildScheduledChange({ ...input, createdAt: stored.createdAt });
    this.requireFlag(change.flagId);
    this.changes.set(change.id, change);
    return deepCopy(change);
  }

  deleteChange(id: string): boolean {
    return this.changes.delete(id);
  }

  applyChange(id: string, now: Date): FeatureFlag | null {
    const change = this.changes.get(id);
    if (!change || change.executed) return null;
    const flag = this.flags.apply(change.flagId, { kind: 'change', item: change }, now);
    if (flag) this.changes.set(id, { ...change, executed: true, executedAt: now, updatedAt: now });
    return flag;
  }

  getPhases(flagId: string | undefined): RolloutPhase[] {
    return sortRolloutPhases(
      [...this.phases.values()]
        .filter((phase) => flagId === undefined || phase.flagId === flagId)
        .map((phase) => deepCopy(phase)),
    );
  }

  createPhase(input: CreateRolloutPhaseInput): RolloutPhase {
    const phase = buildRolloutPhase(input);
    this.requireFlag(phase.flagId);
    for (const other of this.phases.values()) {
      if (other.flagId === phase.flagId && other.phaseNumber === phase.phaseNumber) {
        throw new RolloutPhaseAlreadyExistsError(phase.flagId, phase.phaseNumber);
      }
    }
    if (this.phases.has(phase.id)) {
      throw new InvalidFlagError(`a rollout phase with id "${phase.id}" already exists`, 'id');
    }
    this.phases.set(phase.id, phase);
    return deepCopy(phase);
  }

  deletePhase(id: string): boolean {
    return this.phases.delete(id);
  }

  applyPhase(id: string, now: Date): FeatureFlag | null {
    const phase = this.phases.get(id);
    if (!phase || phase.executed) return null;
    const flag = this.flags.apply(phase.flagId, { kind: 'phase', item: phase }, now);
    if (flag) this.phases.set(id, { ...phase, executed: true, executedAt: now, updatedAt: now });
    return flag;
  }

  getTimeSchedules(flagId: string | undefined): TimeSchedule[] {
    return sortTimeSchedules(
      [...this.timeSchedules.values()]
        .filter((schedule) => flagId === undefined || schedule.flagId === flagId)
        .map((schedule) => deepCopy(schedule)),
    );
  }

  createTimeSchedule(input: CreateTimeScheduleInput): TimeSchedule {
    const schedule = buildTimeSchedule(input);
    this.requireFlag(schedule.flagId);
    if (this.timeSchedules.has(schedule.id)) {
      throw new InvalidFlagError(`a time schedule with id "${schedule.id}" already exists`, 'id');
    }
    this.timeSchedules.set(schedule.id, schedule);
    this.timeSchedulesByFlag.set(schedule.flagId, [
      ...(this.timeSchedulesByFlag.get(schedule.flagId) ?? []),
      schedule,
    ]);
    return deepCopy(schedule);
  }

  deleteTimeSchedule(id: string): boolean {
    const schedule = this.timeSchedules.get(id);
    if (!schedule) return false;
    this.timeSchedules.delete(id);
    const rest = (this.timeSchedulesByFlag.get(schedule.flagId) ?? []).filter((s) => s.id !== id);
    if (rest.length > 0) this.timeSchedulesByFlag.set(schedule.flagId, rest);
    else this.timeSchedulesByFlag.delete(schedule.flagId);
    return true;
  }

  /** The flag's time schedules, the records themselves; `undefined` when it has none. */
  timeSchedulesOf(flagId: string): readonly TimeSchedule[] | undefined {
    return this.timeSchedulesByFlag.get(flagId);
  }

  /** Drops everything of a deleted flag. */
  forgetFlag(flagId: string): void {
    for (const records of [this.changes, this.phases, this.timeSchedules] as const) {
      for (const [id, record] of records) if (record.flagId === flagId) records.delete(id);
    }
    this.timeSchedulesByFlag.delete(flagId);
  }

  private requireFlag(flagId: string): void {
    if (!this.flags.exists(flagId)) throw new ReferenceNotFoundError('flagId', flagId);
  }
}
