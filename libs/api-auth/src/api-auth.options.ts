import type {
  DatabaseConnectionOptions,
  LocalCacheOptions,
  RedisConnectionOptions,
} from '@gatekeeper/common';
import {
  assertNoRenamedOptions,
  assertPositiveSeconds,
  GatekeeperConfigError,
  validateStorageOptions,
} from '@gatekeeper/common';
import type { Type } from '@nestjs/common';
import {
  DEFAULT_API_AUTH_REDIS_PREFIX,
  DEFAULT_API_AUTH_TABLE_PREFIX,
  DEFAULT_API_KEY_HEADER,
  DEFAULT_API_KEY_PREFIX,
  DEFAULT_LAST_USED_INTERVAL_SECONDS,
} from './api-auth.constants';
import { assertValidKeyPrefix } from './api-key.format';
import type { ApiKeyStorage } from './storage/api-key-storage.interface';

export type ApiAuthBackend = 'memory' | 'database' | 'redis';

/** The `cache` option: a Redis cache in front of the primary storage. */
export interface RedisCacheOptions {
  /** Seconds a key stays cached in Redis in front of the primary storage. */
  ttl: number;
}

/**
 * The connection options come from `DatabaseConnectionOptions` (backend 'database', table
 * `{tablePrefix}api_keys`, default prefix `''`) and `RedisConnectionOptions` (backend 'redis',
 * `cache` and the invalidations of `localCache`; default prefix `'api_key:'`).
 */
export interface ApiAuthModuleOptions extends DatabaseConnectionOptions, RedisConnectionOptions {
  /** Where keys live when no custom `storage` is given. Default `'memory'`. */
  backend?: ApiAuthBackend;

  /** Wraps the primary storage in a Redis read-through cache. */
  cache?: RedisCacheOptions;

  /**
   * Keeps verified keys in process memory for `ttl` seconds (off by default), so most requests
   * verify without a storage round trip. Revocation, rotation and deletion through any instance
   * reach the others over Redis pub/sub when `redisUrl` or `redis` is set (the ttl bounds the
   * delay otherwise).
   */
  localCache?: LocalCacheOptions;

  /** A custom storage, instance (yours to close) or class (built with DI, closed on shutdown). Wins over `backend`. */
  storage?: ApiKeyStorage | Type<ApiKeyStorage>;

  /** Start of every key, so people and secret scanners recognise it. Default `'sk_'`. */
  keyPrefix?: string;
  /** Request header carrying the key, any case. Default `'x-api-key'`. `Authorization: Bearer` always works too. */
  header?: string;
  /** HMAC secret: store HMAC-SHA256(pepper, key) instead of SHA-256(key). Changing it invalidates every key. */
  pepper?: string;
  /** Record `lastUsedAt` at most once per this many seconds per key. `0` records every use. Default `60`. */
  lastUsedInterval?: number;
  /**
   * Register the Prometheus metrics (`gatekeeper_api_key_verifications_total`, storage durations,
   * cache requests) on prom-client's default registry; prom-client must be installed. Default `false`.
   */
  metrics?: boolean;
  /**
   * OpenTelemetry through `@opentelemetry/api` (it must be installed): a span per key verification
   * by `ApiKeyGuard` (its result code) and per database or Redis storage call. Without a
   * registered SDK nothing is recorded. Default `false`.
   */
  tracing?: boolean;
}

/** Internal: the options the service reads, validated and with defaults applied. */
export interface ResolvedApiAuthOptions {
  keyPrefix: string;
  /** Lower-case, as Node stores incoming header names. */
  header: string;
  pepper: string | undefined;
  lastUsedIntervalMs: number;
}

/** Internal: what the shared storage checks and wiring need to know about this module. */
export const API_AUTH_STORAGE_SPEC = {
  moduleName: 'ApiAuthModule',
  storageInterface: 'ApiKeyStorage',
  storageMethods: [
    'getByHash',
    'getById',
    'create',
    'update',
    'delete',
    'listByOwner',
    'healthCheck',
    'close',
  ] satisfies (keyof ApiKeyStorage)[],
  // The Redis cache lives in the module's Redis; the local cache's invalidations travel over it.
  redisReaders: ['cache', 'localCache'],
  connectionName: 'gatekeeper-api-auth-redis',
  cacheName: 'API keys',
  metricsModule: 'api_auth' as const,
  // listByOwner streams (no promise to time); touch records lastUsedAt.
  timedOperations: ['getByHash', 'getById', 'create', 'update', 'delete', 'touch', 'healthCheck'],
  defaultTablePrefix: DEFAULT_API_AUTH_TABLE_PREFIX,
  defaultRedisPrefix: DEFAULT_API_AUTH_REDIS_PREFIX,
};

/**
 * Validates the options that build the storage, once, before anything connects.
 * @throws GatekeeperConfigError naming the option to fix; never echoes connection strings.
 */
export function validateApiAuthStorageOptions(options: ApiAuthModuleOptions): void {
  validateStorageOptions(options, API_AUTH_STORAGE_SPEC);
  if (options.cache === undefined) return;
  assertPositiveSeconds('cache.ttl', (options.cache as { ttl?: unknown } | null)?.ttl);
  if (options.redisUrl === undefined && options.redis === undefined) {
    throw new GatekeeperConfigError('cache needs redisUrl or redis: the cache lives in Redis');
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Validates the options the service and guard read and applies defaults. Runs once, at startup. */
export function resolveApiAuthOptions(options: ApiAuthModuleOptions): ResolvedApiAuthOptions {
  if (typeof options !== 'object' || options === null) {
    throw new GatekeeperConfigError('ApiAuthModule options must be an object');
  }
  assertNoRenamedOptions(options, { verifyCache: 'localCache' }, '0.2.0');
  const keyPrefix = options.keyPrefix ?? DEFAULT_API_KEY_PREFIX;
  try {
    assertValidKeyPrefix(keyPrefix);
  } catch (error) {
    throw new GatekeeperConfigError((error as Error).message);
  }

  const header = options.header ?? DEFAULT_API_KEY_HEADER;
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    throw new GatekeeperConfigError("header must be an HTTP header name such as 'x-api-key'");
  }
  if (header.toLowerCase() === 'authorization') {
    throw new GatekeeperConfigError(
      "header must not be 'authorization': 'Authorization: Bearer <key>' is always accepted; pick a custom name such as 'x-api-key'",
    );
  }

  const { pepper } = options;
  if (pepper !== undefined && (typeof pepper !== 'string' || pepper.length === 0)) {
    throw new GatekeeperConfigError(
      'pepper must be a non-empty string (keep it in a secret store)',
    );
  }

  const interval = options.lastUsedInterval ?? DEFAULT_LAST_USED_INTERVAL_SECONDS;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0) {
    throw new GatekeeperConfigError('lastUsedInterval must be a number of seconds, 0 or more');
  }

  return { keyPrefix, header: header.toLowerCase(), pepper, lastUsedIntervalMs: interval * 1000 };
}
