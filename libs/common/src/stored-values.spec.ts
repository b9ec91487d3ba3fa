import {
  INT32_MAX,
  INT32_MIN,
  integerProblem,
  isStoredText,
  storedJsonProblem,
  storedTextProblem,
} from './stored-values';

describe('storedTextProblem', () => {
  const short = { maxLength: 10 };

  it('accepts ordinary text, emoji and text at the limit', () => {
    expect(storedTextProblem('checkout', short)).toBeUndefined();
    expect(storedTextProblem('Café 🚀', short)).toBeUndefined();
    // Ten code points, twenty UTF-16 units: the limit counts characters as SQL varchar does.
    expect(storedTextProblem('🚀'.repeat(10), short)).toBeUndefined();
    expect(storedTextProblem('', short)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(storedTextProblem(42, short)).toBe('must be a string');
    expect(storedTextProblem(null, short)).toBe('must be a string');
  });

  it('refuses text over the limit', () => {
    expect(storedTextProblem('x'.repeat(11), short)).toBe('must be at most 10 characters');
    expect(storedTextProblem('🚀'.repeat(11), short)).toBe('must be at most 10 characters');
  });

  it('refuses NUL always, other controls unless multiline', () => {
    for (const control of ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f']) {
      expect(storedTextProblem(`a${control}b`, short)).toBe('must not contain control characters');
      expect(storedTextProblem(`a${control}b`, { ...short, multiline: true })).toBe(
        'must not contain control characters',
      );
    }
    for (const whitespace of ['\t', '\n', '\r']) {
      expect(storedTextProblem(`a${whitespace}b`, short)).toBe(
        'must not contain control characters',
      );
      expect(storedTextProblem(`a${whitespace}b`, { ...short, multiline: true })).toBeUndefined();
    }
  });

  it('refuses lone surrogates, high or low, and keeps pairs', () => {
    expect(storedTextProblem('a\ud83d', short)).toBe('must be well-formed Unicode');
    expect(storedTextProblem('\ude80a', short)).toBe('must be well-formed Unicode');
    expect(storedTextProblem('\ud83d\ude80', short)).toBeUndefined();
  });

  it('isStoredText narrows to storable strings', () => {
    expect(isStoredText('ok', short)).toBe(true);
    expect(isStoredText('a\u0000', short)).toBe(false);
    expect(isStoredText(undefined, short)).toBe(false);
  });
});

describe('storedJsonProblem', () => {
  it('accepts JSON data of every shape, and undefined as absent', () => {
    for (const value of [null, true, 0, -1.5, '', 'tab\tand bell\u0007', [], {}, [1, 'a', null]]) {
      expect(storedJsonProblem(value)).toBeUndefined();
    }
    expect(storedJsonProblem({ nested: { list: [1, { deep: 'x' }] }, skipped: undefined })).toBe(
      undefined,
    );
    expect(storedJsonProblem(undefined)).toBeUndefined();
    expect(storedJsonProblem(Object.create(null))).toBeUndefined();
    class Condition {
      constructor(readonly attribute = 'country') {}
    }
    expect(storedJsonProblem([new Condition()])).toBeUndefined();
  });

  it('refuses NUL and lone surrogates in any nested string or key', () => {
    expect(storedJsonProblem({ a: ['x', 'y\u0000'] })).toMatch(/NUL/);
    expect(storedJsonProblem({ 'k\u0000': 1 })).toMatch(/NUL.*keys/);
    expect(storedJsonProblem([{ text: '\ud800' }])).toMatch(/well-formed Unicode/);
    expect(storedJsonProblem({ '\udc00': true })).toMatch(/well-formed Unicode in object keys/);
  });

  it('refuses non-finite numbers and values JSON does not have', () => {
    expect(storedJsonProblem(Number.NaN)).toMatch(/non-finite/);
    expect(storedJsonProblem({ n: Number.NEGATIVE_INFINITY })).toMatch(/non-finite/);
    expect(storedJsonProblem(10n)).toMatch(/JSON data/);
    expect(storedJsonProblem({ when: new Date() })).toMatch(/JSON data/);
    expect(storedJsonProblem(new Map([['a', 1]]))).toMatch(/JSON data/);
    expect(storedJsonProblem([undefined])).toMatch(/JSON data/);
    expect(storedJsonProblem({ f: () => 1 })).toMatch(/JSON data/);
  });

  it('bounds the depth, without overflowing the stack on very deep input', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = { v: value };
      return value;
    };
    expect(storedJsonProblem(nest(32))).toBeUndefined();
    expect(storedJsonProblem(nest(33))).toBe('must not nest deeper than 32 levels');
    expect(storedJsonProblem(nest(100_000))).toBe('must not nest deeper than 32 levels');
    expect(storedJsonProblem(nest(3), { maxDepth: 3 })).toBeUndefined();
    expect(storedJsonProblem(nest(4), { maxDepth: 3 })).toBe('must not nest deeper than 3 levels');
    // A cycle is infinitely deep: refused, not a hang.
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(storedJsonProblem(cycle)).toMatch(/deeper/);
  });

  it('bounds the serialized size in UTF-8 bytes', () => {
    expect(storedJsonProblem('x'.repeat(8), { maxLength: 10 })).toBeUndefined();
    expect(storedJsonProblem('x'.repeat(9), { maxLength: 10 })).toBe(
      'must serialize to at most 10 bytes of JSON',
    );
    // "üü" is 6 bytes with its quotes.
    expect(storedJsonProblem('üü', { maxLength: 6 })).toBeUndefined();
    expect(storedJsonProblem('üüü', { maxLength: 6 })).toMatch(/at most 6 bytes/);
    expect(storedJsonProblem('x'.repeat(70_000))).toMatch(/at most 65536 bytes/);
  });
});

describe('integerProblem', () => {
  it('accepts integers within 32 bits by default', () => {
    for (const value of [0, -1, INT32_MAX, INT32_MIN])
      expect(integerProblem(value)).toBeUndefined();
  });

  it('refuses what does not fit a SQL integer', () => {
    expect(integerProblem(2 ** 31)).toBe(`must be at most ${INT32_MAX}`);
    expect(integerProblem(-(2 ** 31) - 1)).toBe(`must be at least ${INT32_MIN}`);
    expect(integerProblem(1.5)).toBe('must be an integer');
    expect(integerProblem(Number.NaN)).toBe('must be an integer');
    expect(integerProblem('1')).toBe('must be an integer');
  });

  it('takes a narrower domain', () => {
    expect(integerProblem(101, { min: 0, max: 100 })).toBe('must be at most 100');
    expect(integerProblem(-1, { min: 0 })).toBe('must be at least 0');
  });
});
