import { TtlCache } from './ttl-cache';

function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TtlCache', () => {
  it('never holds more than maxEntries, evicting the least recently used', () => {
    const clock = manualClock();
    const evicted: string[] = [];
    const cache = new TtlCache<number>({
      maxEntries: 3,
      ttlMs: 60_000,
      now: clock.now,
      onEvict: (key) => evicted.push(key),
    });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.getFresh('a')).toBe(1); // a is now recently used, b is not

    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(evicted).toEqual(['b']);
    expect(cache.getFresh('b')).toBeUndefined();
    expect([cache.getFresh('a'), cache.getFresh('c'), cache.getFresh('d')]).toEqual([1, 3, 4]);

    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(3);
    expect(evicted).toHaveLength(101);
  });

  it('evicts the oldest entry when every entry was used since the last eviction', () => {
    const cache = new TtlCache<number>({ maxEntries: 2, ttlMs: 60_000, now: () => 0 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.getFresh('a');
    cache.getFresh('b');
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.getFresh('a')).toBeUndefined();
    expect(cache.getFresh('c')).toBe(3);
  });

  it('stops answering a value as fresh once its ttl has passed, but keeps the entry', () => {
    const clock = manualClock();
    const cache = new TtlCache<string>({ maxEntries: 10, ttlMs: 5_000, now: clock.now });
    const entry = cache.set('k', 'v');
    clock.advance(4_999);
    expect(cache.getFresh('k')).toBe('v');
    clock.advance(1);
    expect(cache.getFresh('k')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(entry.value).toBe('v');

    expect(cache.set('k', 'v2')).toBe(entry);
    expect(cache.getFresh('k')).toBe('v2');
  });

  it('deletes and clears', () => {
    const cache = new TtlCache<number>({ maxEntries: 10, ttlMs: 1_000, now: () => 0 });
    cache.set('x:1', 1);
    cache.set('y:1', 2);
    expect(cache.delete('x:1')).toBe(true);
    expect(cache.getFresh('x:1')).toBeUndefined();
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('refuses a bound or ttl that cannot work', () => {
    expect(() => new TtlCache({ maxEntries: 0, ttlMs: 1, now: Date.now })).toThrow(/maxEntries/);
    expect(() => new TtlCache({ maxEntries: 1, ttlMs: 0, now: Date.now })).toThrow(/ttl/);
  });
});
