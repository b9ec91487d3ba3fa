import type { MaybePromise } from '@gatekeeper/common';
import { NO_SEGMENTS, SegmentIndex, type SegmentLookup } from '../evaluation/segments';
import type { FeatureFlagStorage } from './feature-flag-storage.interface';
import type { Freshness } from './flag-source';

/** A cached answer and how it was obtained. */
export interface CachedRead<T> {
  value: T;
  freshness: Freshness;
}

/**
 * The local cache's segments, as one entry: evaluation of a nested segment needs its ancestors
 * too, and a storage reads them all in one call. Loaded on the first evaluation of a flag that
 * names a segment; dropped by any segment write (here or, over the bus, elsewhere). Concurrent
 * misses share one storage call; a load that started before an invalidation is not kept.
 */
export class SegmentCache {
  private entry: { value: SegmentLookup; expiresAt: number } | undefined;
  private loading: Promise<SegmentLookup> | undefined;
  private epoch = 0;

  constructor(
    private readonly inner: FeatureFlagStorage,
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** Runs a storage call, noting whether it failed. */
    private readonly track: <T>(operation: () => Promise<T>) => Promise<T>,
  ) {}

  /** The segments: at once while fresh (`hit` says how), else read through. */
  read(now: number, hit: Freshness): MaybePromise<CachedRead<SegmentLookup>> {
    const entry = this.entry;
    if (entry !== undefined && entry.expiresAt > now) return { value: entry.value, freshness: hit };
    return this.readThrough(entry);
  }

  invalidate(): void {
    this.epoch++;
    this.loading = undefined;
    this.entry = undefined;
  }

  /** One storage call, shared by concurrent misses; when it fails, the expired entry, stale. */
  private async readThrough(
    expired: { value: SegmentLookup } | undefined,
  ): Promise<CachedRead<SegmentLookup>> {
    try {
      this.loading ??= this.load();
      return { value: await this.loading, freshness: 'fresh' };
    } catch (error) {
      if (expired !== undefined) return { value: expired.value, freshness: 'stale' };
      throw error;
    }
  }

  private async load(): Promise<SegmentLookup> {
    const epoch = this.epoch;
    try {
      const inner = this.inner;
      // A storage without segment methods: every segment is unknown.
      // Always awaited, so that `loading` is set before this settles.
      const list = await (typeof inner.getAllSegments === 'function'
        ? this.track(() => inner.getAllSegments!())
        : Promise.resolve(undefined));
      const value = list === undefined ? NO_SEGMENTS : new SegmentIndex(list);
      if (epoch === this.epoch) this.entry = { value, expiresAt: this.now() + this.ttlMs };
      return value;
    } finally {
      if (epoch === this.epoch) this.loading = undefined;
    }
  }
}
