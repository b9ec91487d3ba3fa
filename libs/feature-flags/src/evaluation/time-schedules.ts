import { Cron } from 'croner';
import type { TimeSchedule } from '../models/time-schedule.model';
import { isTimeZone, zoneFormatter } from './wall-clock';

/*
 * Time schedules on the evaluation hot path. Everything a check needs (parsed times, day sets,
 * the cron pattern, the zone's formatter) is prepared once per schedule object and kept in a
 * WeakMap, so a check is a wall-clock lookup and a few comparisons; schedules dropped by a cache
 * refresh take their compiled form with them.
 */

/** Whether the schedule's window contains an epoch minute. */
type MinuteTest = (epochMinute: number) => boolean;

interface Compiled {
  test: MinuteTest;
  /** The last minute asked about and its answer: evaluations come in bursts within one minute. */
  minute: number;
  open: boolean;
}

const compiled = new WeakMap<object, Compiled>();
const MS_PER_MINUTE = 60_000;
const MINUTES_PER_DAY = 1440;
const NEVER: MinuteTest = () => false;

/**
 * Whether `at` lies inside the window of `schedule`, on the wall clock of its time zone. Never
 * throws: a schedule that could not have been created (a bad cron expression or zone written by
 * another client, a missing time) is never open. A schedule object is compiled on first use, so
 * it must not be changed afterwards: storages and caches hand out copies and replace them whole.
 */
export function isInWindow(schedule: TimeSchedule, at: Date): boolean {
  if (typeof schedule !== 'object' || schedule === null || !(at instanceof Date)) return false;
  const ms = at.getTime();
  if (Number.isNaN(ms)) return false;
  // Windows are whole minutes, and croner matches 5-field patterns at second 0 only.
  const minute = Math.floor(ms / MS_PER_MINUTE);
  let entry = compiled.get(schedule);
  if (entry === undefined) {
    entry = { test: compile(schedule), minute: Number.NaN, open: false };
    compiled.set(schedule, entry);
  }
  if (entry.minute !== minute) {
    entry.open = safely(entry.test, minute);
    entry.minute = minute;
  }
  return entry.open;
}

/**
 * Whether a flag with these schedules may be on at `at`: `true` when none of them is enabled (an
 * unscheduled flag), else when `at` lies in the window of at least one enabled schedule.
 */
export function schedulesAllow(schedules: readonly TimeSchedule[] | undefined, at: Date): boolean {
  if (schedules === undefined || schedules.length === 0) return true;
  let scheduled = false;
  for (const schedule of schedules) {
    // Only an explicit `false` disables: a malformed entry counts, and being never open, it keeps
    // the flag off rather than silently unscheduling it.
    if ((schedule as Partial<TimeSchedule> | null)?.enabled === false) continue;
    if (isInWindow(schedule, at)) return true;
    scheduled = true;
  }
  return !scheduled;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * @internal Minutes since midnight of `HH:MM` (00:00–23:59), or `null`. `24:00` is accepted when
 * `endOfDay` is set, so an end time can name midnight after the day.
 */
export function minuteOfDay(value: unknown, endOfDay = false): number | null {
  const match = typeof value === 'string' ? CLOCK_TIME.exec(value) : null;
  if (!match) return endOfDay && value === '24:00' ? MINUTES_PER_DAY : null;
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * @internal Why croner refuses `expression` as a 5-field cron pattern, or `null` when it takes it.
 * Both the model and the evaluator go through `cronFor`, so what is stored is what runs.
 */
export function cronProblem(expression: string, timezone: string): string | null {
  try {
    cronFor(expression, timezone);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function cronFor(expression: string, timezone: string): Cron {
  // 5 fields only: a window is a set of minutes, and seconds or years would not mean that.
  return new Cron(expression, { timezone, mode: '5-part' });
}

function safely(test: MinuteTest, minute: number): boolean {
  try {
    return test(minute);
  } catch {
    return false;
  }
}

function compile(schedule: TimeSchedule): MinuteTest {
  try {
    return compileUnsafe(schedule);
  } catch {
    return NEVER;
  }
}

function compileUnsafe(schedule: TimeSchedule): MinuteTest {
  // Rows written without a zone (older or foreign clients) mean UTC, the documented default.
  const timezone = schedule.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) return NEVER;
  if (schedule.recurrenceType === 'cron') {
    if (typeof schedule.cronExpression !== 'string') return NEVER;
    const cron = cronFor(schedule.cronExpression, timezone);
    return (minute) => cron.match(new Date(minute * MS_PER_MINUTE));
  }
  const startsOn = dayTest(schedule);
  const start = minuteOfDay(schedule.startTime);
  const end = minuteOfDay(schedule.endTime, true);
  if (startsOn === null || start === null || end === null) return NEVER;
  const clock = wallClock(timezone);
  return (minute) => {
    const now = clock(minute);
    if (start < end) return start <= now.minute && now.minute < end && startsOn(now);
    // start >= end: the window crosses midnight (or lasts 24 hours), and belongs to the day it opened.
    if (now.minute >= start) return startsOn(now);
    return now.minute < end && startsOn(dayBefore(now));
  };
}

/** A calendar day on the wall clock of a zone. */
interface Day {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  /** 0 = Monday … 6 = Sunday, as `daysOfWeek`. */
  weekday: number;
}

interface WallClock extends Day {
  /** Minutes since local midnight. */
  minute: number;
}

/** Which days a window may open on, or `null` when the stored days are unusable. */
function dayTest(schedule: TimeSchedule): ((day: Day) => boolean) | null {
  switch (schedule.recurrenceType) {
    case 'daily':
      return () => true;
    case 'weekly': {
      const days = daySet(schedule.daysOfWeek, 0, 6);
      return days === null ? null : (day) => days[day.weekday];
    }
    case 'monthly': {
      const days = daySet(schedule.daysOfMonth, 1, 31);
      return days === null ? null : (day) => days[day.day];
    }
    default:
      return null;
  }
}

/** A lookup table of the listed days, or `null` unless they are integers in min–max. */
function daySet(days: unknown, min: number, max: number): boolean[] | null {
  if (!Array.isArray(days) || days.length === 0) return null;
  const set = new Array<boolean>(max + 1).fill(false);
  for (const day of days) {
    if (!Number.isInteger(day) || (day as number) < min || (day as number) > max) return null;
    set[day as number] = true;
  }
  return set;
}

function dayBefore(day: Day): Day {
  const previous = new Date(Date.UTC(day.year, day.month - 1, day.day - 1));
  return {
    year: previous.getUTCFullYear(),
    month: previous.getUTCMonth() + 1,
    day: previous.getUTCDate(),
    weekday: (day.weekday + 6) % 7,
  };
}

/** Reads the wall clock of `timezone` at an epoch minute. */
function wallClock(timezone: string): (epochMinute: number) => WallClock {
  if (timezone === 'UTC') return (minute) => fromUtcFields(new Date(minute * MS_PER_MINUTE));
  const formatter = zoneFormatter(timezone)!;
  return (minute) => {
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minuteOfHour = 0;
    for (const part of formatter.formatToParts(minute * MS_PER_MINUTE)) {
      if (part.type === 'year') year = Number(part.value);
      else if (part.type === 'month') month = Number(part.value);
      else if (part.type === 'day') day = Number(part.value);
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minuteOfHour = Number(part.value);
    }
    // The weekday from the local date: cheaper and locale-proof, unlike parsing Intl's names.
    const local = new Date(Date.UTC(year, month - 1, day));
    return { ...fromUtcFields(local), minute: hour * 60 + minuteOfHour };
  };
}

function fromUtcFields(date: Date): WallClock {
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: (date.getUTCDay() + 6) % 7,
    minute: date.getUTCHours() * 60 + date.getUTCMinutes(),
  };
}
