import type { MaybePromise } from '@gatekeeper/common';
import type { Freshness } from './flag-source';

/** A cached answer and how it was obtained. */
export interface CachedRead<T> {
  value: T;
  freshness: Freshness;
}

/**
 * One cached value the local cache reads as a whole: every segment (a nested segment needs its
 * ancestors), every time schedule, the view of one environment. Loaded on first use with one
 * `load()`; dropped by `invalidate()` (a write here or, over the bus, elsewhere). Concurrent
 * misses share one load; a load that started before an invalidation is not kept; when a load
 * fails, the expired value is served `stale`.
 */
/** An entry, with its two answers made once: a hit on the hot path allocates nothing. */
interface Entry<T> {
  value: T;
  expiresAt: number;
  fresh: CachedRead<T>;
  cached: CachedRead<T>;
}

/** Counts changes of the snapshots that share it (so that what was derived from them can tell). */
export interface SnapshotChanges {
  count: number;
}

export class SnapshotCache<T> {
  private entry: Entry<T> | undefined;
  private loading: Promise<T> | undefined;
  private epoch = 0;

  constructor(
    /** Reads the value from the storage (and notes whether that failed). */
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly changes: SnapshotChanges = { count: 0 },
    /**
     * Whether an expired value keeps answering at once while one read replaces it, instead of
     * every reader waiting for that read: for a value a moment late costs no more than within
     * its ttl (which flags have overrides: our own writes patch it at once).
     */
    private readonly servesExpired = false,
  ) {}

  /** Until when (the clock's ms) the value read now stays fresh; -Infinity without one. */
  get freshUntil(): number {
    return this.entry?.expiresAt ?? -Infinity;
  }

  /** The value while fresh, else `undefined`: never a read. */
  peek(now: number): T | undefined {
    const entry = this.entry;
    return entry !== undefined && entry.expiresAt > now ? entry.value : undefined;
  }

  /** The value: at once while fresh (`hit` says how), else read through. */
  read(now: number, hit: Freshness): MaybePromise<CachedRead<T>> {
    const entry = this.entry;
    if (entry !== undefined && (entry.expiresAt > now || this.servesExpired)) {
      if (entry.expiresAt <= now) this.refresh();
      return hit === 'fresh'
        ? entry.fresh
        : hit === 'cached'
          ? entry.cached
          : { ...entry.fresh, freshness: hit };
    }
    return this.readThrough(entry);
  }

  invalidate(): void {
    this.changes.count++;
    this.epoch++;
    this.loading = undefined;
    this.entry = undefined;
  }

  /**
   * A write the value must show at once, made to it in place (it is the cache's own object). A
   * load in flight may have read before the write: it is not kept.
   */
  patch(change: (value: T) => void): void {
    this.changes.count++;
    this.epoch++;
    this.loading = undefined;
    if (this.entry !== undefined) change(this.entry.value);
  }

  /** Read again at the next use, but the value stays there to serve stale if that read fails. */
  expire(): void {
    this.changes.count++;
    this.epoch++;
    this.loading = undefined;
    if (this.entry !== undefined) this.entry.expiresAt = -Infinity;
  }

  /** One read in the background; a failure is left for the next read to retry. */
  private refresh(): void {
    if (this.loading !== undefined) return;
    this.loading = this.reload();
    this.loading.catch(() => undefined);
  }

  private async readThrough(expired: { value: T } | undefined): Promise<CachedRead<T>> {
    try {
      this.loading ??= this.reload();
      return { value: await this.loading, freshness: 'fresh' };
    } catch (error) {
      if (expired !== undefined) return { value: expired.value, freshness: 'stale' };
      throw error;
    }
  }

  private async reload(): Promise<T> {
    const epoch = this.epoch;
    try {
      // Awaited inside the try, so that `loading` is set before this settles.
      const value = await this.load();
      if (epoch === this.epoch) {
        this.changes.count++;
        this.entry = {
          value,
          expiresAt: this.now() + this.ttlMs,
          fresh: { value, freshness: 'fresh' },
          cached: { value, freshness: 'cached' },
        };
      }
      return value;
    } finally {
      if (epoch === this.epoch) this.loading = undefined;
    }
  }
}
