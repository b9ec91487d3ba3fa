import { GatekeeperConfigError } from './errors';

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
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new GatekeeperConfigError(`${optionName}.ttl must be a positive number of seconds`);
  }
  if (maxEntries !== undefined && (!Number.isInteger(maxEntries) || (maxEntries as number) < 1)) {
    throw new GatekeeperConfigError(`${optionName}.maxEntries must be a positive integer`);
  }
}
