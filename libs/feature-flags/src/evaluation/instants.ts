const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * Dates, Unix times in seconds (as in JWT claims and litestar-flags rules) or ISO-8601 strings,
 * as epoch milliseconds; NaN for anything else. A string without a zone is read as UTC (not the
 * server's local time), so rules mean the same on every host.
 */
export function toEpochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const text = value.trim();
  if (DATE_ONLY.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (DATE_TIME_WITHOUT_ZONE.test(text)) return Date.parse(`${text.replace(' ', 'T')}Z`);
  // Only ISO-8601: Date.parse would otherwise accept engine-specific formats like "March 7".
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return Number.NaN;
  return Date.parse(text);
}
