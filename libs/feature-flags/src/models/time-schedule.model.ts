import { newId } from '@gatekeeper/common';
import { cronProblem, minuteOfDay } from '../evaluation/time-schedules';
import { isTimeZone } from '../evaluation/wall-clock';
import { InvalidFlagError } from '../storage/storage.errors';
import { copyDate, FieldCheck, FLAG_LIMITS, printable } from './field-checks';

export const TIME_SCHEDULE_RECURRENCES = ['daily', 'weekly', 'monthly', 'cron'] as const;
export type TimeScheduleRecurrence = (typeof TIME_SCHEDULE_RECURRENCES)[number];

/**
 * A recurring window during which a flag may be on. A flag with enabled schedules is on only
 * inside one of their windows; outside all of them it serves its off value with reason
 * `DISABLED` (checked after overrides, before rules). Times are wall-clock times in `timezone`.
 */
export interface TimeSchedule {
  id: string;
  /** The id of the flag this schedule gates. */
  flagId: string;
  name: string;
  /**
   * `daily`, `weekly` (on `daysOfWeek`) and `monthly` (on `daysOfMonth`) windows run from
   * `startTime` to `endTime`; a `cron` schedule is open during every minute its expression matches.
   */
  recurrenceType: TimeScheduleRecurrence;
  /** `HH:MM`, inclusive; `null` for `cron`. */
  startTime: string | null;
  /**
   * `HH:MM` (or `24:00`), exclusive; `null` for `cron`. An end before the start crosses midnight,
   * an end equal to the start makes a 24-hour window.
   */
  endTime: string | null;
  /** Weekly only: the days a window opens on, 0 = Monday … 6 = Sunday. */
  daysOfWeek: number[] | null;
  /** Monthly only: the days of the month a window opens on, 1–31. */
  daysOfMonth: number[] | null;
  /** Cron only: 5 fields (minute hour day-of-month month day-of-week, 0 = Sunday). */
  cronExpression: string | null;
  /** IANA time zone of the times and days, `UTC` by default. */
  timezone: string;
  /** A disabled schedule is ignored, as if it did not exist. */
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What `createTimeSchedule` accepts: `flagId`, `name` and `recurrenceType` are required. */
export type CreateTimeScheduleInput = Pick<TimeSchedule, 'flagId' | 'name' | 'recurrenceType'> &
  Partial<Omit<TimeSchedule, 'flagId' | 'name' | 'recurrenceType'>>;

/**
 * Normalises input into a complete, validated time schedule, as `buildSegment` does for segments:
 * fills the id, defaults (`UTC`, enabled, `null` for the fields its recurrence does not use) and
 * timestamps. Fields that its recurrence does not read are refused rather than stored unused.
 * `createdAt` and `id` are kept when present; `updatedAt` is always `now`.
 * @throws InvalidFlagError when a field cannot be stored as given.
 */
export function buildTimeSchedule(
  input: CreateTimeScheduleInput,
  now: Date = new Date(),
): TimeSchedule {
  const name = input.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidFlagError('a time schedule needs a non-empty string name', 'name');
  }
  const check = new FieldCheck(`time schedule "${printable(name)}": `);
  check.key('name', name, FLAG_LIMITS.nameLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  check.key('flagId', input.flagId, FLAG_LIMITS.idLength);
  const recurrence = input.recurrenceType;
  if (!TIME_SCHEDULE_RECURRENCES.includes(recurrence)) {
    check.fail('recurrenceType', `must be one of ${TIME_SCHEDULE_RECURRENCES.join(', ')}`);
  }
  const timezone = input.timezone ?? 'UTC';
  check.text('timezone', timezone, FLAG_LIMITS.idLength);
  if (!isTimeZone(timezone)) {
    check.fail('timezone', 'must be an IANA time zone such as "Europe/Berlin"');
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    check.fail('enabled', 'must be a boolean');
  }
  const uses = (field: keyof TimeSchedule, used: boolean) => {
    if (!used && input[field] !== undefined && input[field] !== null) {
      check.fail(field, `is not used by ${recurrence} schedules: leave it out`);
    }
  };
  const clock = recurrence !== 'cron';
  uses('startTime', clock);
  uses('endTime', clock);
  uses('daysOfWeek', recurrence === 'weekly');
  uses('daysOfMonth', recurrence === 'monthly');
  uses('cronExpression', recurrence === 'cron');
  if (clock) {
    if (minuteOfDay(input.startTime) === null) {
      check.fail(
        'startTime',
        `must be a time HH:MM from 00:00 to 23:59 for ${recurrence} schedules`,
      );
    }
    if (minuteOfDay(input.endTime, true) === null) {
      check.fail('endTime', `must be a time HH:MM from 00:00 to 24:00 for ${recurrence} schedules`);
    }
  }
  const daysOfWeek =
    recurrence === 'weekly' ? checkDays(check, 'daysOfWeek', input.daysOfWeek, 0, 6) : null;
  const daysOfMonth =
    recurrence === 'monthly' ? checkDays(check, 'daysOfMonth', input.daysOfMonth, 1, 31) : null;
  const cronExpression = recurrence === 'cron' ? input.cronExpression : null;
  if (recurrence === 'cron') {
    check.text('cronExpression', cronExpression, FLAG_LIMITS.keyLength);
    const problem = cronProblem(cronExpression as string, timezone);
    if (problem !== null) {
      check.fail('cronExpression', `must be a 5-field cron expression (${problem})`);
    }
  }
  return {
    id: input.id ?? newId(),
    flagId: input.flagId,
    name,
    recurrenceType: recurrence,
    startTime: clock ? (input.startTime as string) : null,
    endTime: clock ? (input.endTime as string) : null,
    daysOfWeek,
    daysOfMonth,
    cronExpression: cronExpression ?? null,
    timezone,
    enabled: input.enabled ?? true,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/** A non-empty list of distinct integer days in min–max, copied in ascending order. */
function checkDays(
  check: FieldCheck,
  field: string,
  days: unknown,
  min: number,
  max: number,
): number[] {
  if (!Array.isArray(days) || days.length === 0) {
    check.fail(field, `must be a non-empty array of days ${min}–${max}`);
  }
  const seen = new Set<number>();
  (days as unknown[]).forEach((day, index) => {
    check.integer(`${field}.${index}`, day, min, max);
    if (seen.has(day as number)) check.fail(`${field}.${index}`, `repeats day ${day as number}`);
    seen.add(day as number);
  });
  return [...seen].sort((a, b) => a - b);
}
