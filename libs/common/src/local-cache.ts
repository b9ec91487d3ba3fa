import { GatekeeperConfigError } from './errors';
import type { InvalidationBus } from './invalidation-bus';
import type { GatekeeperMetrics } from './metrics';

/**
 * The `localCache` option of both modules: an in-process, bounded (LRU) cache in front of the
 * storage, so that hot lookups need no I/O. Changes made through any instance reach the others over
 * Redis pub/sub when the module has a Redis; `ttl` bounds how long a change made elsewhere (or a
 * lost message) can go unnoticed.
 */
export interface LocalCacheOptions {
  /** Seconds an entry is answered from process memory without asking the storage. */
  ttl: number;
  /** The most entries kept (least recently used evicted). Default 10,000. */
  maxEntries?: number;
}

export const DEFAULT_LOCAL_CACHE_MAX_ENTRIES = 10_000;

/**
 * Checks a `localCache` option at startup.
 * @throws GatekeeperConfigError naming `optionName` and what to change.
 */
export function assertLocalCacheOptions(optionName: string, value: unknown): void {
  if (value === null || typeof value !== 'object') {
    throw new GatekeeperConfigError(`${optionName} must be an object such as { ttl: 30 }`);
  }
  const { ttl, maxEntries } = value as { ttl?: unknown; maxEntries?: unknown };
  assertPositiveSeconds(`${optionName}.ttl`, ttl);
  if (maxEntries !== undefined && (!Number.isInteger(maxEntries) || (maxEntries as number) < 1)) {
    throw new GatekeeperConfigError(`${optionName}.maxEntries must be a positive integer`);
  }
}

/** @throws GatekeeperConfigError unless `value` is a positive, finite number. */
export function assertPositiveSeconds(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new GatekeeperConfigError(`${name} must be a positive number of seconds`);
  }
}

/** What a module's cache wrapper is built with: its `localCache` option, completed. */
export interface LocalCacheWrapperOptions extends LocalCacheOptions {
  /** Cross-instance invalidation; without it other instances notice changes after the ttl. */
  invalidation?: InvalidationBus;
  /** Epoch milliseconds, which age the entries (the module passes its clock). Default `Date.now`. */
  now?: () => number;
  /** Counts lookups in `gatekeeper_cache_requests_total` (the module's `metrics` option). */
  metrics?: GatekeeperMetrics;
}

/**
 * What both modules' in-process caches share: a change is invalidated here, then published to the
 * other instances, whose messages are applied here (one that does not parse is dropped); a reset
 * of the bus (messages may have been lost) calls `onBusReset`, which drops everything unless the
 * cache says otherwise.
 */
export abstract class InvalidatedCache<M> {
  private readonly unsubscribe: Array<() => void> = [];

  protected constructor(private readonly bus: InvalidationBus | undefined) {
    if (!bus) return;
    this.unsubscribe.push(
      bus.onMessage((message) => {
        let parsed: M;
        try {
          parsed = JSON.parse(message) as M;
        } catch {
          return;
        }
        this.invalidate(parsed);
      }),
      bus.onReset(() => this.onBusReset()),
    );
  }

  /** Drops every cached entry of this instance (other instances are not told). */
  abstract invalidateAll(): void;

  /**
   * Messages may have been lost (the bus reconnected): nothing cached can be trusted. Dropping it
   * all is the safe default (the API-key cache must never serve a revoked key again).
   */
  protected onBusReset(): void {
    this.invalidateAll();
  }

  /** Applies a change made here or elsewhere; a message it does not understand drops everything. */
  protected abstract invalidate(message: M | null): void;

  /** Invalidates here, then tells the other instances. */
  protected async changed(message: M): Promise<void> {
    this.invalidate(message);
    await this.bus?.publish(JSON.stringify(message));
  }

  /**
   * A write of the wrapped storage, then `changed(message)` whether or not it failed: a write that
   * failed may still have been applied (a timeout after the commit, a Redis primary that applied
   * it but got no replica's confirmation), and a dropped entry only costs a read. Only a failure
   * that `refused` recognises is known to have changed nothing. A message worked out from the
   * write's result gets `undefined` when the write failed; `null` means no change.
   */
  protected async changing<T>(
    message: M | ((result: T | undefined) => M | null),
    write: () => Promise<T>,
  ): Promise<T> {
    const changedBy = async (result: T | undefined) => {
      const change =
        typeof message === 'function'
          ? (message as (result: T | undefined) => M | null)(result)
          : message;
      if (change !== null) await this.changed(change);
    };
    let result: T;
    try {
      result = await write();
    } catch (error) {
      if (!this.refused(error)) await changedBy(undefined);
      throw error;
    }
    await changedBy(result);
    return result;
  }

  /** Whether a failed write is known to have changed nothing (the storage refused it). */
  protected refused(_error: unknown): boolean {
    return false;
  }

  /** Stops listening and closes the bus; the wrapped storage is closed by whoever created it. */
  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.invalidateAll();
    await this.bus?.close();
  }
}
