import { FLAG_LIMITS, isStorableKey, type FeatureFlag } from '../models/feature-flag.model';
import {
  applyScheduledItem,
  buildRolloutPhase,
  buildScheduledChange,
  type CreateRolloutPhaseInput,
  type CreateScheduledChangeInput,
  type RolloutPhase,
  type ScheduledFlagChange,
  type ScheduledItem,
  type UpdateScheduledChangeInput,
} from '../models/scheduled-change.model';
import {
  buildTimeSchedule,
  type CreateTimeScheduleInput,
  type TimeSchedule,
} from '../models/time-schedule.model';
import { DEFAULT_MODIFY_FLAG_RETRIES } from './flag-edits';
import { sortRolloutPhases, sortScheduledChanges, sortTimeSchedules } from '../models/ordering';
import { RedisEnvironmentStorage } from './redis-environments';
import {
  parseRolloutPhase,
  parseScheduledChange,
  parseTimeSchedule,
  serializeRolloutPhase,
  serializeScheduledChange,
  serializeTimeSchedule,
} from './redis-records.codec';
import { recordScripts } from './redis-records.scripts';
import { parseFlag } from './redis.codec';
import { scripts } from './redis.scripts';
import {
  FeatureFlagStorageError,
  InvalidFlagError,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  ScheduledChangeNotFoundError,
} from './storage.errors';

/**
 * Scheduled changes, rollout phases and time schedules of `RedisFeatureFlagStorage` (see
 * RedisStorageBase for why the class spans files). Pending changes are also in a sorted set
 * scored by `scheduled_at`, which lists them in due order without reading executed ones.
 */
export abstract class RedisScheduleStorage extends RedisEnvironmentStorage {
  async getScheduledChanges(flagId?: string, pendingOnly = true): Promise<ScheduledFlagChange[]> {
    if (flagId !== undefined && !isStorableKey(flagId, FLAG_LIMITS.idLength)) return [];
    const before = this.keys.scheduledChange('');
    const documents =
      flagId !== undefined
        ? await this.documents(this.keys.flagScheduledChanges(flagId), 'SMEMBERS', before)
        : pendingOnly
          ? await this.documents(this.keys.pendingChanges, 'ZRANGE', before)
          : await this.documents(this.keys.scheduledChanges, 'SMEMBERS', before);
    return sortScheduledChanges(
      documents.map(parseScheduledChange).filter((change) => !pendingOnly || !change.executed),
    );
  }

  async createScheduledChange(input: CreateScheduledChangeInput): Promise<ScheduledFlagChange> {
    const change = buildScheduledChange(input);
    const created = await recordScripts.CREATE_FLAG_RECORD.run(
      this.client(),
      [
        this.keys.scheduledChange(change.id),
        this.keys.scheduledChanges,
        this.keys.flagScheduledChanges(change.flagId),
        this.keys.pendingChanges,
      ],
      [
        serializeScheduledChange(change),
        change.id,
        change.flagId,
        this.prefix,
        '',
        pending(change),
      ],
    );
    this.checkCreated(created, 'scheduled change', change);
    return change;
  }

  /** A compare-and-set against the change read: an apply in between is never undone. */
  async updateScheduledChange(input: UpdateScheduledChangeInput): Promise<ScheduledFlagChange> {
    if (!isStorableKey(input.id, FLAG_LIMITS.idLength)) {
      throw new ScheduledChangeNotFoundError(input.id);
    }
    const key = this.keys.scheduledChange(input.id);
    for (;;) {
      const document = await this.client().get(key);
      if (document === null) throw new ScheduledChangeNotFoundError(input.id);
      const stored = parseScheduledChange(document);
      const change = buildScheduledChange({ ...input, createdAt: stored.createdAt });
      const result = await recordScripts.UPDATE_SCHEDULED_CHANGE.run(
        this.client(),
        [key, this.keys.pendingChanges, this.keys.flagScheduledChanges(change.flagId)],
        [
          serializeScheduledChange(change),
          document,
          change.id,
          change.flagId,
          this.prefix,
          pending(change),
        ],
      );
      if (result === 1) return change;
      if (result === 0) throw new ScheduledChangeNotFoundError(input.id);
      if (result === -2) throw new ReferenceNotFoundError('flagId', change.flagId);
    }
  }

  async deleteScheduledChange(id: string): Promise<boolean> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return false;
    const deleted = await recordScripts.DELETE_FLAG_RECORD.run(
      this.client(),
      [this.keys.scheduledChange(id), this.keys.scheduledChanges, this.keys.pendingChanges],
      [id, this.keys.flagScheduledChanges('')],
    );
    return deleted === 1;
  }

  applyScheduledChange(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.applyScheduled('change', id, now);
  }

  async getRolloutPhases(flagId?: string): Promise<RolloutPhase[]> {
    if (flagId !== undefined && !isStorableKey(flagId, FLAG_LIMITS.idLength)) return [];
    const before = this.keys.rolloutPhase('');
    const documents =
      flagId !== undefined
        ? await this.documents(this.keys.flagRolloutPhases(flagId), 'HVALS', before)
        : await this.documents(this.keys.rolloutPhases, 'SMEMBERS', before);
    return sortRolloutPhases(documents.map(parseRolloutPhase));
  }

  /** The flag's phase numbers are a HASH: HSETNX claims one, so of two concurrent creates one loses. */
  async createRolloutPhase(input: CreateRolloutPhaseInput): Promise<RolloutPhase> {
    const phase = buildRolloutPhase(input);
    const created = await recordScripts.CREATE_FLAG_RECORD.run(
      this.client(),
      [
        this.keys.rolloutPhase(phase.id),
        this.keys.rolloutPhases,
        this.keys.flagRolloutPhases(phase.flagId),
      ],
      [
        serializeRolloutPhase(phase),
        phase.id,
        phase.flagId,
        this.prefix,
        String(phase.phaseNumber),
        '',
      ],
    );
    if (created === 0) throw new RolloutPhaseAlreadyExistsError(phase.flagId, phase.phaseNumber);
    this.checkCreated(created, 'rollout phase', phase);
    return phase;
  }

  async deleteRolloutPhase(id: string): Promise<boolean> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return false;
    const deleted = await recordScripts.DELETE_FLAG_RECORD.run(
      this.client(),
      [this.keys.rolloutPhase(id), this.keys.rolloutPhases],
      [id, this.keys.flagRolloutPhases(''), 'phase_number'],
    );
    return deleted === 1;
  }

  applyRolloutPhase(id: string, now: Date): Promise<FeatureFlag | null> {
    return this.applyScheduled('phase', id, now);
  }

  async getTimeSchedules(flagId?: string): Promise<TimeSchedule[]> {
    if (flagId !== undefined && !isStorableKey(flagId, FLAG_LIMITS.idLength)) return [];
    const before = this.keys.timeSchedule('');
    const documents =
      flagId !== undefined
        ? await this.documents(this.keys.flagTimeSchedules(flagId), 'SMEMBERS', before)
        : await this.documents(this.keys.timeSchedules, 'SMEMBERS', before);
    return sortTimeSchedules(documents.map(parseTimeSchedule));
  }

  async createTimeSchedule(input: CreateTimeScheduleInput): Promise<TimeSchedule> {
    const schedule = buildTimeSchedule(input);
    const created = await recordScripts.CREATE_FLAG_RECORD.run(
      this.client(),
      [
        this.keys.timeSchedule(schedule.id),
        this.keys.timeSchedules,
        this.keys.flagTimeSchedules(schedule.flagId),
      ],
      [serializeTimeSchedule(schedule), schedule.id, schedule.flagId, this.prefix, '', ''],
    );
    this.checkCreated(created, 'time schedule', schedule);
    return schedule;
  }

  async deleteTimeSchedule(id: string): Promise<boolean> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return false;
    const deleted = await recordScripts.DELETE_FLAG_RECORD.run(
      this.client(),
      [this.keys.timeSchedule(id), this.keys.timeSchedules],
      [id, this.keys.flagTimeSchedules('')],
    );
    return deleted === 1;
  }

  /**
   * Applies a change or phase once: reads it with its flag (one script), builds the flag's next
   * version as `updateFlag` does, and writes both with UPDATE_FLAG, which claims the item only if
   * neither it nor the flag changed since the read. Of many instances applying one item, one
   * write succeeds; the others read again, find it executed and answer null. A concurrent write
   * of the flag makes this read again, a bounded number of times.
   */
  private async applyScheduled(
    kind: ScheduledItem['kind'],
    id: string,
    now: Date,
  ): Promise<FeatureFlag | null> {
    if (!isStorableKey(id, FLAG_LIMITS.idLength)) return null;
    const itemKey = kind === 'change' ? this.keys.scheduledChange(id) : this.keys.rolloutPhase(id);
    for (let attempt = 0; attempt <= DEFAULT_MODIFY_FLAG_RETRIES; attempt++) {
      const read = (await recordScripts.READ_SCHEDULED.run(
        this.client(),
        [itemKey],
        [this.prefix],
      )) as string[] | null;
      if (read === null) return null;
      const [itemDocument, itemHash, key, flagDocument, flagHash] = read;
      const scheduled: ScheduledItem =
        kind === 'change'
          ? { kind, item: parseScheduledChange(itemDocument) }
          : { kind, item: parseRolloutPhase(itemDocument) };
      // Without a flag, litestar-flags deleted it (it knows nothing of our records): nothing to apply.
      if (scheduled.item.executed || key === undefined) return null;
      const stored = parseFlag(flagDocument);
      const next = this.nextFlagVersion(
        key,
        stored,
        flagDocument,
        applyScheduledItem(stored, scheduled),
        now,
      );
      const executed =
        scheduled.kind === 'change'
          ? serializeScheduledChange(
              buildScheduledChange({ ...scheduled.item, executed: true, executedAt: now }, now),
            )
          : serializeRolloutPhase(
              buildRolloutPhase({ ...scheduled.item, executed: true, executedAt: now }, now),
            );
      const written = await scripts.UPDATE_FLAG.run(
        this.client(),
        [
          this.keys.flag(key),
          this.keys.flags,
          this.keys.flagIds,
          itemKey,
          ...(kind === 'change' ? [this.keys.pendingChanges] : []),
        ],
        [next.document, key, flagHash, next.flag.id, itemHash, executed, id],
      );
      if (written === 1) return next.flag;
    }
    throw new FeatureFlagStorageError(
      `scheduled ${kind} "${id}" was not applied: its flag changed during each of ${DEFAULT_MODIFY_FLAG_RETRIES + 1} attempts`,
    );
  }

  private checkCreated(created: unknown, what: string, record: { id: string; flagId: string }) {
    if (created === -2) throw new ReferenceNotFoundError('flagId', record.flagId);
    if (created === -1) {
      throw new InvalidFlagError(`a ${what} with id "${record.id}" already exists`, 'id');
    }
  }
}

/** The score of a change in the pending index, or '' when it is executed (not pending). */
function pending(change: ScheduledFlagChange): number | '' {
  return change.executed ? '' : change.scheduledAt.getTime();
}
