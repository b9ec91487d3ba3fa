import { toEpochMs } from './instants';
import { isTimeZone, zoneFormatter } from './wall-clock';

/**
 * The `time_window` operator: whether an instant (the condition's attribute: a `Date`, an ISO-8601
 * string or Unix seconds) lies in `{ start, end, timezone? }`, either
 * - times of day, `HH:MM` or `HH:MM:SS` on the wall clock of `timezone` (IANA, default UTC). A
 *   window whose end comes before its start crosses midnight (`22:00`–`06:00`). Wall-clock times
 *   follow daylight saving time: `09:00`–`17:00` in Europe/Berlin is 07:00–15:00 UTC in summer.
 * - or two ISO-8601 date-times (UTC when they carry no zone; `timezone` is then not used).
 * Windows include their start and exclude their end, so `09:00`–`12:00` and `12:00`–`17:00` meet
 * without overlapping. A value that is not such a window never matches (and is refused when a
 * flag is written: see `timeWindowProblem`).
 */
export function inTimeWindow(atMs: number, window: unknown): boolean {
  if (Number.isNaN(atMs)) return false;
  const parsed = parseWindow(window);
  if (typeof parsed === 'string') return false;
  if (parsed.kind === 'instants') return parsed.start <= atMs && atMs < parsed.end;
  const clock = secondOfDay(atMs, parsed.timezone);
  return parsed.start <= parsed.end
    ? parsed.start <= clock && clock < parsed.end
    : clock >= parsed.start || clock < parsed.end;
}

/** Why `value` is not a `time_window` value, or `null` when it is one. */
export function timeWindowProblem(value: unknown): string | null {
  const parsed = parseWindow(value);
  return typeof parsed === 'string' ? parsed : null;
}

type Window =
  | { kind: 'clock'; start: number; end: number; timezone: string }
  | { kind: 'instants'; start: number; end: number };

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

function parseWindow(value: unknown): Window | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'a time_window value must be an object { start, end, timezone? }';
  }
  const { start, end, timezone = 'UTC' } = value as Record<string, unknown>;
  if (!isTimeZone(timezone)) {
    return 'time_window timezone must be an IANA time zone such as "Europe/Berlin"';
  }
  const startClock = timeOfDay(start);
  const endClock = timeOfDay(end);
  if (startClock !== null && endClock !== null) {
    return { kind: 'clock', start: startClock, end: endClock, timezone };
  }
  const startMs = typeof start === 'string' ? toEpochMs(start) : Number.NaN;
  const endMs = typeof end === 'string' ? toEpochMs(end) : Number.NaN;
  if (Number.isNaN(startMs) || Number.isNaN(endMs)) {
    return 'time_window start and end must both be HH:MM times or both ISO-8601 date-times';
  }
  if (endMs <= startMs) return 'time_window end must come after its start';
  return { kind: 'instants', start: startMs, end: endMs };
}

/** Seconds since midnight of `HH:MM[:SS]`, or `null`. */
function timeOfDay(value: unknown): number | null {
  const match = typeof value === 'string' ? TIME_OF_DAY.exec(value) : null;
  if (!match) return null;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
}

/** Seconds since local midnight in `timezone` at `atMs`. */
function secondOfDay(atMs: number, timezone: string): number {
  let seconds = 0;
  for (const part of zoneFormatter(timezone)!.formatToParts(atMs)) {
    if (part.type === 'hour') seconds += Number(part.value) * 3600;
    else if (part.type === 'minute') seconds += Number(part.value) * 60;
    else if (part.type === 'second') seconds += Number(part.value);
  }
  return seconds;
}
