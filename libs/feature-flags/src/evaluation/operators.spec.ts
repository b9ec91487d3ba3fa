import { CONDITION_OPERATORS } from '../models/feature-flag.model';
import { evaluateOperator } from './operators';

type Case = [actual: unknown, expected: unknown];

/**
 * For each operator: inputs that match and inputs that don't. Inputs that make no sense, and the
 * pattern engine's limits, are in operators.malformed.spec.ts.
 */
const CASES: Record<string, { match: Case[]; noMatch: Case[] }> = {
  eq: {
    match: [
      ['pro', 'pro'],
      [3, 3],
      [true, true],
      [
        ['a', 1],
        ['a', 1],
      ],
      [{ a: 1 }, { a: 1 }],
    ],
    noMatch: [
      ['pro', 'free'],
      [3, '3'],
      [{ a: 1 }, { a: 2 }],
      [['a'], ['a', 'b']],
    ],
  },
  ne: {
    match: [
      ['pro', 'free'],
      [3, '3'],
    ],
    noMatch: [
      ['pro', 'pro'],
      [3, 3],
    ],
  },
  gt: {
    match: [
      [5, 3],
      ['10', 9],
      [2.5, '2'],
    ],
    noMatch: [
      [3, 3],
      [2, 3],
    ],
  },
  gte: {
    match: [
      [3, 3],
      [4, 3],
    ],
    noMatch: [[2, 3]],
  },
  lt: {
    match: [
      [2, 3],
      ['1.5', 2],
    ],
    noMatch: [
      [3, 3],
      [4, 3],
    ],
  },
  lte: {
    match: [
      [3, 3],
      [2, 3],
    ],
    noMatch: [[4, 3]],
  },
  in: {
    match: [
      ['de', ['fr', 'de']],
      [2, [1, 2]],
    ],
    noMatch: [
      ['us', ['fr', 'de']],
      ['2', [1, 2]],
    ],
  },
  not_in: {
    match: [['us', ['fr', 'de']]],
    noMatch: [['de', ['fr', 'de']]],
  },
  contains: {
    match: [
      ['hello@acme.com', '@acme'],
      [['beta', 'staff'], 'staff'],
    ],
    noMatch: [
      ['hello@other.com', '@acme'],
      [['beta'], 'staff'],
    ],
  },
  not_contains: {
    match: [
      ['hello@other.com', '@acme'],
      [['beta'], 'staff'],
    ],
    noMatch: [
      ['hello@acme.com', '@acme'],
      [['staff'], 'staff'],
    ],
  },
  starts_with: {
    match: [
      ['admin-42', 'admin-'],
      [4242, '42'],
    ],
    noMatch: [['user-42', 'admin-']],
  },
  ends_with: {
    match: [['alice@acme.com', '@acme.com']],
    noMatch: [['alice@acme.com.evil', '@acme.com']],
  },
  matches: {
    // Anchored at the start, not the end (like Python's re.match).
    match: [
      ['user-123', 'user-\\d+'],
      ['user-123-extra', 'user-\\d+'],
      ['b', 'a|b'],
    ],
    noMatch: [
      ['the user-123', 'user-\\d+'],
      ['xb', 'a|b'],
    ],
  },
  semver_eq: {
    match: [
      ['1.2.3', '1.2.3'],
      ['v1.2', '1.2.0'],
      ['1.0.0+build.7', '1.0.0'],
    ],
    noMatch: [
      ['1.2.3', '1.2.4'],
      ['1.0.0-rc.1', '1.0.0'],
    ],
  },
  semver_gt: {
    match: [
      ['1.10.0', '1.9.0'],
      ['2.0.0', '1.99.99'],
      ['1.0.0', '1.0.0-rc.1'],
      ['1.0.0-rc.2', '1.0.0-rc.1'],
    ],
    noMatch: [
      ['1.9.0', '1.10.0'],
      ['1.0.0', '1.0.0'],
      ['1.0.0-alpha', '1.0.0-alpha.1'],
    ],
  },
  semver_lt: {
    match: [
      ['1.9.9', '1.10.0'],
      ['1.0.0-alpha', '1.0.0-beta'],
      ['1.0.0-2', '1.0.0-alpha'],
    ],
    noMatch: [
      ['1.10.0', '1.9.9'],
      ['1.0.0', '1.0.0-beta'],
    ],
  },
  date_after: {
    match: [
      ['2025-06-01T00:00:00Z', '2025-01-01'],
      [new Date('2030-01-01T00:00:00Z'), '2029-12-31T23:59:59Z'],
      // Numbers are Unix seconds (2025-01-02T00:00:00Z).
      [1735776000, '2025-01-01'],
      [1735776000, 1735689600],
      // A string without a zone is UTC, not the host's local time.
      ['2025-01-01T00:00:01', '2025-01-01T00:00:00Z'],
    ],
    noMatch: [
      ['2024-06-01', '2025-01-01'],
      ['2025-01-01T00:00:00Z', '2025-01-01'],
    ],
  },
  date_before: {
    match: [
      ['2024-06-01', '2025-01-01'],
      ['2025-01-01T01:00:00+02:00', '2025-01-01T00:00:00Z'],
    ],
    noMatch: [['2025-06-01', '2025-01-01']],
  },
  time_window: {
    match: [
      ['2026-01-05T10:00:00Z', { start: '09:00', end: '17:00' }],
      // Across midnight.
      ['2026-01-05T23:30:00Z', { start: '22:00', end: '06:00' }],
      ['2026-01-05T05:59:59Z', { start: '22:00', end: '06:00' }],
      // Wall clock of the zone, daylight saving time included: 09:00 in Berlin is 07:00 UTC in summer.
      ['2026-07-01T07:30:00Z', { start: '09:00', end: '10:00', timezone: 'Europe/Berlin' }],
      ['2026-01-05T08:30:00Z', { start: '09:00', end: '10:00', timezone: 'Europe/Berlin' }],
      // Instants, and Unix seconds as the attribute.
      ['2026-03-01', { start: '2026-02-01T00:00:00Z', end: '2026-04-01T00:00:00Z' }],
      [1772323200, { start: '2026-02-01T00:00:00Z', end: '2026-04-01T00:00:00Z' }],
    ],
    noMatch: [
      // The end is excluded.
      ['2026-01-05T17:00:00Z', { start: '09:00', end: '17:00' }],
      ['2026-01-05T12:00:00Z', { start: '22:00', end: '06:00' }],
      ['2026-07-01T08:30:00Z', { start: '09:00', end: '10:00', timezone: 'Europe/Berlin' }],
      ['2026-04-01T00:00:00Z', { start: '2026-02-01T00:00:00Z', end: '2026-04-01T00:00:00Z' }],
    ],
  },
};

describe('condition operators', () => {
  it('has cases for every operator compared with an attribute', () => {
    // Segment membership is the engine's (segments.spec.ts): this table never matches it.
    const segmentOperators = ['in_segment', 'not_in_segment'];
    expect(Object.keys(CASES).sort()).toEqual(
      CONDITION_OPERATORS.filter((operator) => !segmentOperators.includes(operator)).sort(),
    );
    for (const operator of segmentOperators) {
      expect(evaluateOperator(operator, 'DE', 'eu')).toBe(false);
    }
  });

  describe.each(Object.entries(CASES))('%s', (operator, { match, noMatch }) => {
    it.each(match)('matches %j against %j', (actual, expected) => {
      expect(evaluateOperator(operator, actual, expected)).toBe(true);
    });

    if (noMatch.length > 0) {
      it.each(noMatch)('does not match %j against %j', (actual, expected) => {
        expect(evaluateOperator(operator, actual, expected)).toBe(false);
      });
    }

    it('never matches a missing attribute', () => {
      const expected = match[0][1];
      expect(evaluateOperator(operator, undefined, expected)).toBe(false);
      expect(evaluateOperator(operator, null, expected)).toBe(false);
    });
  });
});
