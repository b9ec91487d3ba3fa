import { sortRolloutPhases, sortScheduledChanges, sortTimeSchedules } from '../../models/ordering';
import { foreignKeyViolation, uniqueViolation } from '@gatekeeper/common';
import type { EntityManager, EntitySchema, ObjectLiteral } from 'typeorm';
import type { FeatureFlag } from '../../models/feature-flag.model';
import {
  applyScheduledItem,
  buildRolloutPhase,
  buildScheduledChange,
  type CreateRolloutPhaseInput,
  type CreateScheduledChangeInput,
  type RolloutPhase,
  type ScheduledFlagChange,
  type UpdateScheduledChangeInput,
} from '../../models/scheduled-change.model';
import {
  buildTimeSchedule,
  type CreateTimeScheduleInput,
  type TimeSchedule,
} from '../../models/time-schedule.model';
import {
  InvalidFlagError,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  ScheduledChangeNotFoundError,
} from '../storage.errors';
import { isStorableId, loadFlags, rewriteFlag, type FlagTables } from './flag.queries';
import type { RolloutPhaseRow, ScheduledChangeRow, TimeScheduleRow } from './schedule.entities';

/**
 * The scheduled changes, rollout phases and time schedules of a DatabaseFeatureFlagStorage. A
 * missing flag is the foreign key's violation; a deleted flag takes its rows along (ON DELETE
 * CASCADE). Lists are sorted here rather than by ORDER BY, whose collation differs between
 * databases, so that every backend lists them alike.
 */
export class DatabaseSchedules {
  constructor(private readonly tables: FlagTables) {}

  async getChanges(
    flagId: string | undefined,
    pendingOnly: boolean,
  ): Promise<ScheduledFlagChange[]> {
    if (flagId !== undefined && !isStorableId(flagId)) return [];
    const where: Partial<Pick<ScheduledFlagChange, 'flagId' | 'executed'>> = {};
    if (flagId !== undefined) where.flagId = flagId;
    if (pendingOnly) where.executed = false;
    const rows = await this.tables.manager().findBy(this.tables.entities.scheduledChange, where);
    return sortScheduledChanges(rows.map(toScheduledChange));
  }

  async createChange(input: CreateScheduledChangeInput): Promise<ScheduledFlagChange> {
    const change = buildScheduledChange(input);
    await this.insert(this.tables.entities.scheduledChange, change, 'a scheduled change');
    return change;
  }

  async updateChange(input: UpdateScheduledChangeInput): Promise<ScheduledFlagChange> {
    if (!isStorableId(input.id)) throw new ScheduledChangeNotFoundError(input.id);
    return this.tables.transaction(async (manager) => {
      const stored = await this.tables
        .lockForUpdate(
          manager
            .createQueryBuilder(this.tables.entities.scheduledChange, 'c')
            .where('c.id = :id', { id: input.id }),
        )
        .getOne();
      if (!stored) throw new ScheduledChangeNotFoundError(input.id);
      const change = buildScheduledChange({ ...input, createdAt: stored.createdAt });
      const { id, ...changes } = change;
      try {
        await manager.update<ObjectLiteral>(this.tables.entities.scheduledChange, { id }, changes);
      } catch (error) {
        if (foreignKeyViolation(error)) throw new ReferenceNotFoundError('flagId', change.flagId);
        throw error;
      }
      return change;
    });
  }

  async deleteChange(id: string): Promise<boolean> {
    return this.deleteById(this.tables.entities.scheduledChange, id);
  }

  async applyChange(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.apply(this.tables.entities.scheduledChange, id, now, (row) => ({
      kind: 'change',
      item: toScheduledChange(row),
    }));
  }

  async getPhases(flagId: string | undefined): Promise<RolloutPhase[]> {
    if (flagId !== undefined && !isStorableId(flagId)) return [];
    const rows = await this.tables
      .manager()
      .findBy(this.tables.entities.rolloutPhase, flagId === undefined ? {} : { flagId });
    return sortRolloutPhases(rows.map(toRolloutPhase));
  }

  async createPhase(input: CreateRolloutPhaseInput): Promise<RolloutPhase> {
    const phase = buildRolloutPhase(input);
    const { flagId, phaseNumber } = phase;
    await this.insert(this.tables.entities.rolloutPhase, phase, 'a rollout phase', async () => {
      const taken = await this.tables
        .manager()
        .existsBy(this.tables.entities.rolloutPhase, { flagId, phaseNumber });
      if (taken) throw new RolloutPhaseAlreadyExistsError(flagId, phaseNumber);
    });
    return phase;
  }

  async deletePhase(id: string): Promise<boolean> {
    return this.deleteById(this.tables.entities.rolloutPhase, id);
  }

  async applyPhase(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.apply(this.tables.entities.rolloutPhase, id, now, (row) => ({
      kind: 'phase',
      item: toRolloutPhase(row),
    }));
  }

  async getTimeSchedules(flagId: string | undefined): Promise<TimeSchedule[]> {
    if (flagId !== undefined && !isStorableId(flagId)) return [];
    const rows = await this.tables
      .manager()
      .findBy(this.tables.entities.timeSchedule, flagId === undefined ? {} : { flagId });
    return sortTimeSchedules(rows.map(toTimeSchedule));
  }

  async createTimeSchedule(input: CreateTimeScheduleInput): Promise<TimeSchedule> {
    const schedule = buildTimeSchedule(input);
    await this.insert(this.tables.entities.timeSchedule, schedule, 'a time schedule');
    return schedule;
  }

  async deleteTimeSchedule(id: string): Promise<boolean> {
    return this.deleteById(this.tables.entities.timeSchedule, id);
  }

  /**
   * Applies a due change or phase once, however many instances try, in one transaction: the flag
   * row is locked, then the item claimed with `UPDATE … SET executed = true … WHERE id = ? AND
   * executed = false` — the compare-and-set that lets exactly one caller through — and the flag
   * rewritten as `updateFlag` does. Locking the flag before the item takes the locks in the order
   * deleting the flag does (flag, then the rows its cascade removes), so the two cannot deadlock.
   * READ COMMITTED: under MySQL's default REPEATABLE READ the rules read after waiting for the
   * lock would come from the snapshot taken before it, missing the previous holder's write.
   */
  private async apply<T extends ScheduledChangeRow | RolloutPhaseRow>(
    schema: EntitySchema<T>,
    id: string,
    now: Date,
    scheduled: (row: T) => Parameters<typeof applyScheduledItem>[1],
  ): Promise<FeatureFlag | null> {
    if (!isStorableId(id)) return null;
    const { entities } = this.tables;
    return this.tables.transaction(async (manager: EntityManager) => {
      const pending = await manager.findOne<ObjectLiteral>(schema, {
        select: { flagId: true },
        where: { id, executed: false },
      });
      if (!pending) return null;
      const stored = await this.tables
        .lockForUpdate(
          manager
            .createQueryBuilder(entities.flag, 'f')
            .where('f.id = :flagId', { flagId: pending.flagId as string }),
        )
        .getOne();
      if (!stored) return null;
      // The flag too: a change moved to another flag meanwhile is left for the next run.
      const claimed = await manager.update<ObjectLiteral>(
        schema,
        { id, flagId: stored.id, executed: false },
        { executed: true, executedAt: now, updatedAt: now },
      );
      if (claimed.affected !== 1) return null;
      const item = (await manager.findOneByOrFail<ObjectLiteral>(schema, { id })) as T;
      const [flag] = await loadFlags(manager, entities, 'f.id = :flagId', { flagId: stored.id });
      const next = applyScheduledItem(flag, scheduled(item));
      return rewriteFlag(manager, entities, stored, next, stored.version, now);
    }, 'READ COMMITTED');
  }

  /**
   * Inserts a row that belongs to a flag. A duplicate is the primary key's (an `id` given twice)
   * unless `duplicate` finds the conflict it should report instead.
   */
  private async insert(
    schema: EntitySchema,
    row: { id: string; flagId: string },
    what: string,
    duplicate?: () => Promise<void>,
  ): Promise<void> {
    try {
      await this.tables.write((manager) => manager.insert<ObjectLiteral>(schema, row));
    } catch (error) {
      if (foreignKeyViolation(error)) throw new ReferenceNotFoundError('flagId', row.flagId);
      if (!uniqueViolation(error)) throw error;
      await duplicate?.();
      throw new InvalidFlagError(`${what} with id "${row.id}" already exists`, 'id');
    }
  }

  private async deleteById(schema: EntitySchema, id: string): Promise<boolean> {
    if (!isStorableId(id)) return false;
    const result = await this.tables.write((manager) => manager.delete(schema, { id }));
    return (result.affected ?? 0) > 0;
  }
}

function toScheduledChange(row: ScheduledChangeRow): ScheduledFlagChange {
  return {
    id: row.id,
    flagId: row.flagId,
    changeType: row.changeType,
    scheduledAt: row.scheduledAt,
    executed: Boolean(row.executed),
    executedAt: row.executedAt ?? null,
    newValue: row.newValue,
    newRolloutPercentage: row.newRolloutPercentage ?? null,
    createdBy: row.createdBy ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRolloutPhase(row: RolloutPhaseRow): RolloutPhase {
  return {
    id: row.id,
    flagId: row.flagId,
    phaseNumber: row.phaseNumber,
    targetPercentage: row.targetPercentage,
    scheduledAt: row.scheduledAt,
    executed: Boolean(row.executed),
    executedAt: row.executedAt ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toTimeSchedule(row: TimeScheduleRow): TimeSchedule {
  return {
    id: row.id,
    flagId: row.flagId,
    name: row.name,
    recurrenceType: row.recurrenceType,
    startTime: row.startTime ?? null,
    endTime: row.endTime ?? null,
    daysOfWeek: row.daysOfWeek ?? null,
    daysOfMonth: row.daysOfMonth ?? null,
    cronExpression: row.cronExpression ?? null,
    timezone: row.timezone,
    enabled: Boolean(row.enabled),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
