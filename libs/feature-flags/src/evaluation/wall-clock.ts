/** One formatter per zone, and `null` for zones the runtime does not know: building one is slow. */
const formatters = new Map<string, Intl.DateTimeFormat | null>();
const MAX_FORMATTERS = 500;

/**
 * The formatter that reads the wall clock of an IANA `timezone` (date and time, 24-hour parts,
 * DST included), or `null` for a zone the runtime does not know. Shared by time schedules and
 * the `time_window` operator.
 */
export function zoneFormatter(timezone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      formatter = null;
    }
    // Zone names come from stored data: bound what a stream of distinct bad ones can hold.
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows `timezone` as an IANA zone. */
export function isTimeZone(timezone: unknown): timezone is string {
  return typeof timezone === 'string' && zoneFormatter(timezone) !== null;
}
