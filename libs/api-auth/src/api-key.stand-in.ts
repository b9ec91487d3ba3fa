import { performance } from 'node:perf_hooks';

/** Recent lookups remembered per kind: enough for a median and its spread, small enough to follow drift. */
const SAMPLES = 64;
/** The longest a stand-in waits, whatever the storage once took (a slow minute must not linger). */
export const MAX_STAND_IN_MS = 1000;
/**
 * Timers fire on whole milliseconds of the loop's clock, so up to about a millisecond late: the
 * last stretch of a wait is polled once per loop turn instead (`setImmediate`).
 */
const POLL_BELOW_MS = 3;

/** A ring of the last `SAMPLES` durations. */
class Ring {
  private readonly values = new Float64Array(SAMPLES);
  private next = 0;
  size = 0;

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % SAMPLES;
    this.size = Math.min(this.size + 1, SAMPLES);
  }

  pick(random: number): number {
    return this.values[Math.min(this.size - 1, Math.floor(random * this.size))];
  }

  median(): number {
    if (this.size === 0) return 0;
    const sorted = this.values.slice(0, this.size).sort();
    const middle = this.size >> 1;
    return this.size % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }
}

/**
 * What a malformed key waits for instead of a storage lookup. `DESIGN.md` refuses a malformed key
 * before any lookup (a flood of garbage never reaches the database); to keep that from telling a
 * prober which keys reached it, the refusal waits for as long as a lookup of an unknown key took.
 *
 * `ApiKeyService` records how long each real lookup that went to the storage took (with a
 * promise: a synchronous answer of the in-process cache costs nothing to imitate). A wait is a
 * duration drawn at random from the last 64 lookups that found nothing — the unknown keys a
 * malformed one must resemble — or, before any, from the last lookups that found a key. So the
 * waits follow the storage's real distribution (its median and its jitter) and its drift, and
 * never exceed `MAX_STAND_IN_MS`. With nothing recorded yet (a fresh instance) the wait is one
 * turn of the event loop.
 */
export class LookupStandIn {
  private readonly misses = new Ring();
  private readonly hits = new Ring();
  /** How much later than asked each recent wait ended: the loop's and the scheduler's delay. */
  private readonly lateness = new Ring();

  constructor(private readonly random: () => number = Math.random) {}

  /** Notes a storage lookup of `ms` milliseconds that found a key (`found`) or nothing. */
  record(ms: number, found: boolean): void {
    if (!(ms >= 0)) return;
    (found ? this.hits : this.misses).push(Math.min(ms, MAX_STAND_IN_MS));
  }

  /** The next wait, in milliseconds: a recent miss, else a recent hit, else 0. */
  sample(): number {
    const ring = this.misses.size > 0 ? this.misses : this.hits;
    return ring.size > 0 ? ring.pick(this.random()) : 0;
  }

  /**
   * Resolves about `sample()` milliseconds from now. A wait ends late by what the event loop and
   * the operating system add (a timer's rounding, another task on the CPU); the median of recent
   * delays is taken off the next wait, so the waits land on the lookups' distribution, not after it.
   */
  wait(): Promise<void> {
    const requested = Math.max(0, this.sample() - this.lateness.median());
    const started = performance.now();
    return waitPrecisely(requested).then(() => {
      this.lateness.push(Math.max(0, performance.now() - started - requested));
    });
  }
}

/**
 * Resolves once `ms` have passed on the monotonic clock, to within a loop turn: a timer for the
 * bulk, then a check per loop turn, so sub-millisecond waits (a Redis or SQLite lookup) come out
 * right. The polling keeps the loop turning (other requests are served between checks) but
 * spends CPU for at most the last few milliseconds of each wait.
 */
export function waitPrecisely(ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise<void>((resolve) => {
    const check = (): void => {
      const left = deadline - performance.now();
      if (left <= 0) resolve();
      else if (left > POLL_BELOW_MS) setTimeout(check, Math.floor(left - POLL_BELOW_MS + 1));
      else setImmediate(check);
    };
    // At least one loop turn, as a lookup that answers at once still does.
    setImmediate(check);
  });
}
