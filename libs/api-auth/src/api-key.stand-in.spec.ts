import { LookupStandIn, MAX_STAND_IN_MS, waitPrecisely } from './api-key.stand-in';

describe('LookupStandIn', () => {
  /** Draws 0, 1/n, 2/n… in turn: every sample once per n draws. */
  function sweep(n: number): () => number {
    let i = 0;
    return () => (i++ % n) / n;
  }

  it('waits no time before any lookup was recorded', () => {
    expect(new LookupStandIn().sample()).toBe(0);
  });

  it('draws from the lookups that found nothing, the ones a malformed key must resemble', () => {
    const standIn = new LookupStandIn(sweep(3));
    standIn.record(9, true);
    standIn.record(1.5, false);
    standIn.record(2.5, false);
    standIn.record(3.5, false);
    const drawn = Array.from({ length: 6 }, () => standIn.sample());
    expect(drawn.sort()).toEqual([1.5, 1.5, 2.5, 2.5, 3.5, 3.5]);
  });

  it('falls back to lookups that found a key until one found nothing', () => {
    const standIn = new LookupStandIn(sweep(2));
    standIn.record(4, true);
    standIn.record(6, true);
    expect([standIn.sample(), standIn.sample()].sort()).toEqual([4, 6]);
    standIn.record(1, false);
    expect([standIn.sample(), standIn.sample()]).toEqual([1, 1]);
  });

  it('follows the storage: only the last 64 lookups count', () => {
    const standIn = new LookupStandIn(sweep(64));
    for (let i = 0; i < 64; i++) standIn.record(100, false);
    for (let i = 0; i < 64; i++) standIn.record(2, false);
    const drawn = new Set(Array.from({ length: 64 }, () => standIn.sample()));
    expect([...drawn]).toEqual([2]);
  });

  it('never waits longer than the bound, and ignores nonsense durations', () => {
    const standIn = new LookupStandIn(() => 0.99);
    standIn.record(Number.NaN, false);
    standIn.record(-1, false);
    expect(standIn.sample()).toBe(0);
    standIn.record(60_000, false);
    expect(standIn.sample()).toBe(MAX_STAND_IN_MS);
  });

  it('resolves its waits, short and long', async () => {
    const standIn = new LookupStandIn();
    await expect(standIn.wait()).resolves.toBeUndefined();
    await expect(Promise.all([waitPrecisely(0.2), waitPrecisely(5)])).resolves.toEqual([
      undefined,
      undefined,
    ]);
  });
});
