/** One cached value and when it stops being fresh (epoch milliseconds of the cache's clock). */
export interface TtlCacheEntry<V> {
  value: V;
  expiresAt: number;
  /** Set by a hit, cleared when eviction passes over the entry: the "second chance" bit. */
  used: boolean;
  /** What the cache's user worked out from `value`, kept with it; cleared when it is replaced. */
  derived: unknown;
}

export interface TtlCacheOptions<V = unknown> {
  /** The most entries kept; inserting beyond it evicts the least recently used. */
  maxEntries: number;
  /** How long an entry is fresh, in milliseconds. Expired entries stay until evicted or replaced. */
  ttlMs: number;
  /** Epoch milliseconds: the module's clock (a `TurnClock`), or a controllable one in tests. */
  now: () => number;
  /** Told about each entry evicted to make room (not about `delete` or `clear`). */
  onEvict?: (key: string, entry: TtlCacheEntry<V>) => void;
}

/**
 * A bounded map with a freshness deadline per entry, for in-process caches on request hot paths.
 *
 * Eviction is LRU by the CLOCK ("second chance") approximation: a hit only sets a bit on the entry
 * instead of reordering the map, so reads cost one `Map#get` and no allocation; when the cache is
 * full, entries are examined oldest first and one read since it was last examined gets moved to
 * the back instead of evicted. Expired entries are kept (not deleted on read) so that callers can
 * still serve them as stale data while their source is unreachable.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, TtlCacheEntry<V>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly onEvict: ((key: string, entry: TtlCacheEntry<V>) => void) | undefined;

  constructor({ maxEntries, ttlMs, now, onEvict }: TtlCacheOptions<V>) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    if (!Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new RangeError('ttl must be a positive number');
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.now = now;
    this.onEvict = onEvict;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value while fresh (and marks it used), `undefined` when absent or expired. */
  getFresh(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt <= this.now()) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** Stores a fresh value and returns its entry (the same object while the key stays cached). */
  set(key: string, value: V): TtlCacheEntry<V> {
    const expiresAt = this.now() + this.ttlMs;
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      existing.expiresAt = expiresAt;
      existing.used = true;
      existing.derived = undefined;
      return existing;
    }
    if (this.entries.size >= this.maxEntries) this.evictOne();
    const entry: TtlCacheEntry<V> = { value, expiresAt, used: false, derived: undefined };
    this.entries.set(key, entry);
    return entry;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Makes every entry expired, keeping it: read again when possible, still there as stale data. */
  expireAll(): void {
    for (const entry of this.entries.values()) entry.expiresAt = -Infinity;
  }

  private evictOne(): void {
    // Terminates: each pass over a used entry clears its bit, so within `size + 1` steps an
    // unused one comes up.
    for (;;) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return;
      const [key, entry] = oldest.value;
      this.entries.delete(key);
      if (!entry.used) {
        this.onEvict?.(key, entry);
        return;
      }
      entry.used = false;
      this.entries.set(key, entry);
    }
  }
}
