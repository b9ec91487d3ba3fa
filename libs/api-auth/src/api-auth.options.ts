import {
  assertNoRenamedOptions,
  GatekeeperConfigError,
  type LocalCacheOptions,
} from '@gatekeeper/common';
import type { Type } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import {
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

export interface ApiAuthModuleOptions {
  /** Where keys live when no custom `storage` is given. Default `'memory'`. */
  backend?: ApiAuthBackend;

  /** database: `postgres://…`, `mysql://…`, `sqlite:<file>` or `sqlite::memory:`. */
  connectionString?: string;
  /** database: an existing TypeORM DataSource (yours: the module never destroys it). */
  dataSource?: DataSource;
  /** database: the table is `{tablePrefix}api_keys`. Default `''`. */
  tablePrefix?: string;
  /** database: create the table and indexes at startup. Default `true`. */
  createTables?: boolean;

  /** redis (and `cache`): `redis://`, `rediss://` or `redis+sentinel://…` URL. */
  redisUrl?: string;
  /** redis (and `cache`): an existing ioredis client (yours: the module never quits it). */
  redis?: Redis;
  /** redis: key namespace. Default `'api_key:'`. */
  redisPrefix?: string;

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
}

/** Internal: the options the service reads, validated and with defaults applied. */
export interface ResolvedApiAuthOptions {
  keyPrefix: string;
  /** Lower-case, as Node stores incoming header names. */
  header: string;
  pepper: string | undefined;
  lastUsedIntervalMs: number;
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
