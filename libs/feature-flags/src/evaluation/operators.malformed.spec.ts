import { evaluateOperator } from './operators';
import { MAX_PATTERN_SUBJECT_LENGTH } from './pattern';

type Case = [actual: unknown, expected: unknown];

/**
 * For each operator compared with an attribute, inputs that make no sense and never match (`ne` has
 * none). What does and does not match is in operators.spec.ts.
 */
const BAD_CASES: Record<string, Case[]> = {
  eq: [[{ a: 1 }, 'x']],
  gt: [
    ['ten', 3],
    [5, 'three'],
    ['', 0],
    [true, 0],
    [5, null],
  ],
  gte: [
    ['abc', 1],
    [[1], 0],
  ],
  lt: [
    ['x', 3],
    [{}, 1],
  ],
  lte: [['x', 3]],
  in: [
    ['de', 'de'],
    ['de', null],
    ['de', { de: true }],
  ],
  not_in: [
    ['de', 'fr'],
    ['de', null],
  ],
  contains: [
    [42, '4'],
    ['hello', 4],
    [{ beta: true }, 'beta'],
  ],
  not_contains: [
    [42, '4'],
    ['hello', 4],
    [{ beta: true }, 'beta'],
  ],
  starts_with: [
    ['admin-42', 4],
    [{}, 'a'],
    [['admin'], 'admin'],
  ],
  ends_with: [
    ['alice@acme.com', null],
    [true, 'e'],
  ],
  matches: [
    ['anything', '(unclosed'],
    ['anything', '[z-a]'],
    ['abc', 42],
    // Stored before 0.2 or by another writer: RE2 has no lookaround or backreferences.
    ['abc', '(?=a)abc'],
    ['aa', '(a)\\1'],
  ],
  semver_eq: [
    ['latest', '1.0.0'],
    ['1.2.3', 'x'],
    ['1..2', '1.2'],
    [{}, '1.0.0'],
  ],
  semver_gt: [['one', '1.0.0']],
  semver_lt: [['1.0.0', 'newest']],
  date_after: [
    ['tomorrow', '2025-01-01'],
    ['2025-01-01', 'March 7'],
    ['2025-13-45', '2025-01-01'],
  ],
  date_before: [
    [true, '2025-01-01'],
    ['2024-01-01', {}],
  ],
  time_window: [
    ['2026-01-05T10:00:00Z', { start: '9am', end: '17:00' }],
    ['2026-01-05T10:00:00Z', { start: '09:00', end: '17:00', timezone: 'Mars/Olympus' }],
    ['2026-01-05T10:00:00Z', { start: '09:00', end: '2026-01-06T00:00:00Z' }],
    ['2026-01-05T10:00:00Z', ['09:00', '17:00']],
    ['whenever', { start: '09:00', end: '17:00' }],
  ],
};

describe('condition operators', () => {
  describe.each(Object.entries(BAD_CASES))('%s', (operator, bad) => {
    it.each(bad)('treats %j against %j as no match', (actual, expected) => {
      expect(evaluateOperator(operator, actual, expected)).toBe(false);
    });
  });

  it('treats an unknown or malformed operator as no match', () => {
    expect(evaluateOperator('regex', 'a', 'a')).toBe(false);
    expect(evaluateOperator('toString', 'a', 'a')).toBe(false);
    expect(evaluateOperator('__proto__', 'a', 'a')).toBe(false);
    expect(evaluateOperator(undefined, 'a', 'a')).toBe(false);
  });

  it('runs a catastrophic-backtracking pattern in linear time', () => {
    // With a backtracking engine this subject takes hours; RE2 answers at once. (Timings belong
    // in the bench: this only has to finish, and give the right answers.)
    const subject = `${'a'.repeat(1000)}!`;
    expect(evaluateOperator('matches', subject, '(a+)+$')).toBe(false);
    expect(evaluateOperator('matches', 'a'.repeat(1000), '(a+)+$')).toBe(true);
  });

  it('never matches a subject longer than the cap, whatever the pattern', () => {
    expect(evaluateOperator('matches', 'a'.repeat(MAX_PATTERN_SUBJECT_LENGTH), 'a')).toBe(true);
    expect(evaluateOperator('matches', 'a'.repeat(MAX_PATTERN_SUBJECT_LENGTH + 1), 'a')).toBe(
      false,
    );
    expect(evaluateOperator('matches', `${'a'.repeat(100_000)}!`, '(a+)+$')).toBe(false);
  });

  it('keeps matching correctly when a cached pattern is reused', () => {
    expect(evaluateOperator('matches', 'abc', 'a')).toBe(true);
    expect(evaluateOperator('matches', 'abc', 'a')).toBe(true);
    expect(evaluateOperator('matches', 'cab', 'a')).toBe(false);
  });
});
