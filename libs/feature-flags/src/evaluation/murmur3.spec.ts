import { murmur3 } from './murmur3';

describe('murmur3 (x86, 32-bit, seed 0)', () => {
  it.each([
    ['', 0],
    ['hello', 613153351],
    ['foo', 4138058784],
    ['The quick brown fox jumps over the lazy dog', 776992547],
  ])('hashes %j to %d', (input, expected) => {
    expect(murmur3(input)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of a string, so strings and byte arrays agree', () => {
    expect(murmur3('héllo wörld ✓')).toBe(murmur3(Buffer.from('héllo wörld ✓', 'utf8')));
    expect(murmur3('é')).not.toBe(murmur3(Buffer.from('é', 'latin1')));
  });

  it('covers every tail length with an unsigned 32-bit result', () => {
    for (const input of ['a', 'ab', 'abc', 'abcd', 'abcde']) {
      const hash = murmur3(input);
      expect(Number.isInteger(hash)).toBe(true);
      expect(hash).toBeGreaterThanOrEqual(0);
      expect(hash).toBeLessThan(2 ** 32);
    }
    expect(new Set(['a', 'ab', 'abc', 'abcd', 'abcde'].map((s) => murmur3(s))).size).toBe(5);
  });

  it('honours the seed', () => {
    expect(murmur3('hello', 1)).not.toBe(murmur3('hello'));
  });
});
