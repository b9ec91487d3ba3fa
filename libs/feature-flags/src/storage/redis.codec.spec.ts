import { parseTimestamp } from './redis.codec';

describe('parseTimestamp', () => {
  it.each([
    ['2026-03-01T12:00:00.123Z', '2026-03-01T12:00:00.123Z'],
    ['2026-03-01T12:00:00.123456+00:00', '2026-03-01T12:00:00.123Z'],
    ['2026-03-01T14:00:00+02:00', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01T07:00:00-0500', '2026-03-01T12:00:00.000Z'],
    // Python's isoformat() of a naive datetime: read as UTC, not the server's local time.
    ['2026-03-01T12:00:00', '2026-03-01T12:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseTimestamp(text)?.toISOString()).toBe(iso);
  });

  it('reads nothing as null', () => {
    expect(parseTimestamp('')).toBeNull();
    expect(parseTimestamp(null)).toBeNull();
  });
});
