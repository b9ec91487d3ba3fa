import { newId } from '@gatekeeper/common';
import { InvalidFlagError } from '../storage/storage.errors';
import {
  copyDate,
  FieldCheck,
  FLAG_LIMITS,
  type FeatureFlag,
  type FlagRule,
  type JsonValue,
} from './feature-flag.model';

export const SCHEDULED_CHANGE_TYPES = [
  'enable',
  'disable',
  'update_value',
  'update_rollout',
] as const;
export type ScheduledChangeType = (typeof SCHEDULED_CHANGE_TYPES)[number];

/**
 * A change to a flag that the scheduler applies once, at or after `scheduledAt`:
 * - `enable`: status `active`, `defaultEnabled` true; `disable`: status `inactive`, `defaultEnabled` false;
 * - `update_value`: `defaultValue` becomes `newValue`;
 * - `update_rollout`: the rollout percentage of the flag's rollout rules becomes `newRolloutPercentage`.
 */
export interface ScheduledFlagChange {
  id: string;
  flagId: string;
  changeType: ScheduledChangeType;
  scheduledAt: Date;
  /** Set, with `executedAt`, in the same atomic write that changes the flag. */
  executed: boolean;
  executedAt: Date | null;
  newValue: JsonValue;
  newRolloutPercentage: number | null;
  /** Who scheduled it (an API-key owner, a user name), for the audit trail. */
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What `createScheduledChange` accepts. */
export type CreateScheduledChangeInput = Pick<
  ScheduledFlagChange,
  'flagId' | 'changeType' | 'scheduledAt'
> &
  Partial<Omit<ScheduledFlagChange, 'flagId' | 'changeType' | 'scheduledAt'>>;

/** What `updateScheduledChange` accepts: a change as read, changed (a full replacement by `id`). */
export type UpdateScheduledChangeInput = CreateScheduledChangeInput &
  Pick<ScheduledFlagChange, 'id'>;

/** One step of a phased rollout: at `scheduledAt` the flag's rollout rules go to `targetPercentage`. */
export interface RolloutPhase {
  id: string;
  flagId: string;
  /** Unique per flag; phases are listed and applied in this order. */
  phaseNumber: number;
  targetPercentage: number;
  scheduledAt: Date;
  executed: boolean;
  executedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What `createRolloutPhase` accepts. */
export type CreateRolloutPhaseInput = Pick<
  RolloutPhase,
  'flagId' | 'phaseNumber' | 'targetPercentage' | 'scheduledAt'
> &
  Partial<Omit<RolloutPhase, 'flagId' | 'phaseNumber' | 'targetPercentage' | 'scheduledAt'>>;

/**
 * Normalises input into a complete, validated scheduled change.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildScheduledChange(
  input: CreateScheduledChangeInput | UpdateScheduledChangeInput,
  now: Date = new Date(),
): ScheduledFlagChange {
  const check = new FieldCheck('scheduled change: ');
  check.key('flagId', input.flagId, FLAG_LIMITS.idLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  if (!SCHEDULED_CHANGE_TYPES.includes(input.changeType)) {
    check.fail('changeType', `must be one of ${SCHEDULED_CHANGE_TYPES.join(', ')}`);
  }
  const scheduledAt = checkedDate(check, 'scheduledAt', input.scheduledAt);
  check.json('newValue', input.newValue, FLAG_LIMITS.valueBytes);
  const percentage = input.newRolloutPercentage ?? null;
  if (percentage !== null) check.percentage('newRolloutPercentage', percentage);
  if (input.changeType === 'update_rollout' && percentage === null) {
    check.fail('newRolloutPercentage', 'is required for an update_rollout change');
  }
  check.optionalText('createdBy', input.createdBy, FLAG_LIMITS.nameLength);
  const executed = input.executed ?? false;
  if (typeof executed !== 'boolean') check.fail('executed', 'must be a boolean');
  return {
    id: input.id ?? newId(),
    flagId: input.flagId,
    changeType: input.changeType,
    scheduledAt,
    executed,
    executedAt: executed ? (copyDate(input.executedAt) ?? now) : null,
    newValue: structuredClone(input.newValue ?? null),
    newRolloutPercentage: percentage,
    createdBy: input.createdBy ?? null,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/**
 * Normalises input into a complete, validated rollout phase.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildRolloutPhase(
  input: CreateRolloutPhaseInput,
  now: Date = new Date(),
): RolloutPhase {
  const check = new FieldCheck('rollout phase: ');
  check.key('flagId', input.flagId, FLAG_LIMITS.idLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  check.integer('phaseNumber', input.phaseNumber, 0);
  check.percentage('targetPercentage', input.targetPercentage);
  const scheduledAt = checkedDate(check, 'scheduledAt', input.scheduledAt);
  const executed = input.executed ?? false;
  if (typeof executed !== 'boolean') check.fail('executed', 'must be a boolean');
  return {
    id: input.id ?? newId(),
    flagId: input.flagId,
    phaseNumber: input.phaseNumber,
    targetPercentage: input.targetPercentage,
    scheduledAt,
    executed,
    executedAt: executed ? (copyDate(input.executedAt) ?? now) : null,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/** A date, or an ISO-8601 string of one (as JSON bodies carry them). */
function checkedDate(check: FieldCheck, field: string, value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : value;
  check.date(field, date);
  return new Date((date as Date).getTime());
}

/** A due item the scheduler applies: a scheduled change or a rollout phase. */
export type ScheduledItem =
  { kind: 'change'; item: ScheduledFlagChange } | { kind: 'phase'; item: RolloutPhase };

/**
 * The flag as a scheduled item leaves it: the one definition of what each change does, which
 * every backend applies inside its atomic claim. Pure: returns a new flag, `version` unchanged.
 */
export function applyScheduledItem(flag: FeatureFlag, scheduled: ScheduledItem): FeatureFlag {
  if (scheduled.kind === 'phase') {
    return { ...flag, rules: withRolloutPercentage(flag.rules, scheduled.item.targetPercentage) };
  }
  const change = scheduled.item;
  switch (change.changeType) {
    case 'enable':
      return { ...flag, status: 'active', defaultEnabled: true };
    case 'disable':
      return { ...flag, status: 'inactive', defaultEnabled: false };
    case 'update_value':
      return { ...flag, defaultValue: structuredClone(change.newValue) };
    case 'update_rollout':
      return change.newRolloutPercentage === null
        ? flag
        : { ...flag, rules: withRolloutPercentage(flag.rules, change.newRolloutPercentage) };
    default:
      throw new InvalidFlagError(
        `scheduled change ${change.id} has an unknown changeType "${String(change.changeType)}"`,
        'changeType',
      );
  }
}

/**
 * The rules with their rollout set to `percentage`. The rollout rules are those that have a
 * rollout percentage; a flag with none has every rule changed (litestar-flags changes every rule).
 */
export function withRolloutPercentage(rules: readonly FlagRule[], percentage: number): FlagRule[] {
  const rollout = rules.some((rule) => rule.rolloutPercentage !== null);
  return rules.map((rule) =>
    !rollout || rule.rolloutPercentage !== null ? { ...rule, rolloutPercentage: percentage } : rule,
  );
}

/** Whether `item` is pending and due at `now`. */
export function isDue(item: ScheduledFlagChange | RolloutPhase, now: Date): boolean {
  return !item.executed && item.scheduledAt.getTime() <= now.getTime();
}
