import { TurnClock } from './clock';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnClock', () => {
  it('reads its source once per event-loop turn and again in the next turn', async () => {
    let reads = 0;
    const clock = new TurnClock(() => ++reads * 1_000);
    expect([clock.now(), clock.now(), clock.now()]).toEqual([1_000, 1_000, 1_000]);
    await nextTurn();
    expect(clock.now()).toBe(2_000);
    expect(reads).toBe(2);
  });

  it('keeps its own time: a second clock in the same turn reads its own source', () => {
    const early = new TurnClock(() => 5);
    const late = new TurnClock(() => 9);
    expect(early.now()).toBe(5);
    expect(late.now()).toBe(9);
  });

  it('reads the system time by default and hands `now` on unbound', () => {
    const { now } = new TurnClock();
    expect(Math.abs(now() - Date.now())).toBeLessThan(1_000);
  });
});
