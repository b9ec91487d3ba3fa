import type { Cluster, Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { GatekeeperConfigError } from './errors';
import { assertLocalCacheOptions, type LocalCacheOptions } from './local-cache';

/** Where a module keeps its records. */
export type StorageBackend = 'memory' | 'database' | 'redis';

/** The options of `backend: 'database'`, the same in both modules. */
export interface DatabaseConnectionOptions {
  /** `postgres://…`, `mysql://…` / `mariadb://…`, `sqlite:<file>` or `sqlite::memory:`. */
  connectionString?: string;
  /**
   * An initialized TypeORM DataSource to use instead of `connectionString` (TypeOrmModule's, for
   * instance). Yours: the module never destroys it.
   */
  dataSource?: DataSource;
  /**
   * Starts every table name: letters, digits and underscores, at most 32. Default `'ff_'` for
   * feature flags, `''` for API keys (the table is then `api_keys`).
   */
  tablePrefix?: string;
  /** Create the tables and their indexes at startup when missing. Default `true`. */
  createTables?: boolean;
  /**
   * Milliseconds one SQL statement may take. PostgreSQL cancels it on the server after that; on
   * every server database the call also stops waiting then (plus a 100 ms grace), even for a
   * frozen or unreachable server, and drops that connection: the request gets a 503 or cached /
   * default flag values instead of waiting out the outage. Startup schema work is exempt. SQLite
   * runs in-process: this is its busy timeout (the wait for another process's lock). Default
   * 2000, the Redis command timeout. With `connectionString` only: on your own `dataSource` the
   * timeouts are yours to set.
   */
  queryTimeout?: number;
  /**
   * Milliseconds to wait for a pooled connection, opening a new one included (at startup too).
   * Not used by SQLite, which has no pool. Default 2000. With `connectionString` only.
   */
  acquireTimeout?: number;
}

/** Where the module's Redis is: the options of `backend: 'redis'`, also read by the caches. */
export interface RedisConnectionOptions {
  /**
   * `redis://`, `rediss://`, `redis+sentinel://h1:26379,h2:26379/<master>/<db>` or
   * `redis+cluster://h1:6379,h2:6379` (seed nodes of a Redis Cluster; `rediss+cluster://` for TLS).
   */
  redisUrl?: string;
  /**
   * An ioredis client (`Redis`, or `Cluster` for a Redis Cluster) to use instead of `redisUrl`.
   * Yours: the module never quits it.
   */
  redis?: Redis | Cluster;
  /**
   * Starts every key and channel. Default `'feature_flags:'` / `'api_key:'`. On a Redis Cluster
   * it must contain a hash tag (`'{api_key}:'`, the default there), so a module's keys share a slot.
   */
  redisPrefix?: string;
}

/** The options both modules read to build their storage. */
export interface StorageModuleOptions extends DatabaseConnectionOptions, RedisConnectionOptions {
  backend?: StorageBackend;
  /** A custom storage: an instance or a class. */
  storage?: unknown;
  localCache?: LocalCacheOptions;
  /**
   * Register the fixed Prometheus metrics on prom-client's default registry (prom-client must be
   * installed). Default `false`.
   */
  metrics?: boolean;
  /**
   * Open OpenTelemetry spans and span events through `@opentelemetry/api` (it must be installed;
   * without a registered SDK they record nothing). Default `false`.
   */
  tracing?: boolean;
}

/** What `validateStorageOptions` needs to know about the module whose options it checks. */
export interface StorageOptionsSpec {
  /** Names the module in messages: `'FeatureFlagsModule'`. */
  moduleName: string;
  /** A custom `storage` must have these methods of this interface. */
  storageInterface: string;
  storageMethods: readonly string[];
  /** Options other than the redis backend that use `redisUrl` / `redis` (the caches). */
  redisReaders: readonly string[];
}

const BACKENDS: readonly StorageBackend[] = ['memory', 'database', 'redis'];
const DATABASE_OPTIONS = [
  'connectionString',
  'dataSource',
  'tablePrefix',
  'createTables',
  'queryTimeout',
  'acquireTimeout',
] as const;
const TIMEOUT_OPTIONS = ['queryTimeout', 'acquireTimeout'] as const;
/** setTimeout's largest delay. */
const MAX_TIMEOUT_MS = 2_147_483_647;
const REDIS_OPTIONS = ['redisUrl', 'redis', 'redisPrefix'] as const;
const TABLE_PREFIX = /^[A-Za-z0-9_]{0,32}$/;

/**
 * Checks the backend, connection, table and Redis options and a custom `storage` once, at
 * startup, before anything connects.
 * @throws GatekeeperConfigError naming the option to change (never echoing its value).
 */
export function validateStorageOptions(
  options: StorageModuleOptions,
  spec: StorageOptionsSpec,
): void {
  if (options === null || typeof options !== 'object') {
    throw new GatekeeperConfigError(`${spec.moduleName} options must be an object`);
  }
  const { backend, storage } = options;
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    throw new GatekeeperConfigError(
      `backend must be 'memory', 'database' or 'redis' (got ${JSON.stringify(backend)})`,
    );
  }
  if (storage !== undefined && typeof storage !== 'function') {
    assertStorageShape(storage, 'the storage option', spec);
  }
  checkValues(options);
  for (const name of ['metrics', 'tracing'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new GatekeeperConfigError(`${name} must be true or false`);
    }
  }
  if (options.localCache !== undefined) {
    assertLocalCacheOptions('localCache', options.localCache);
    if (storage === undefined && (backend ?? 'memory') === 'memory') {
      throw new GatekeeperConfigError(
        "localCache applies to the 'database' and 'redis' backends and to a custom storage: " +
          'the memory backend is already in process',
      );
    }
  }
  // A custom storage makes every backend option irrelevant.
  if (storage !== undefined) return;

  const selected = backend ?? 'memory';
  const readers = spec.redisReaders.filter((name) => isSet(options, name));
  if (selected !== 'database') rejectStray(options, DATABASE_OPTIONS, 'database', selected, '');
  if (selected !== 'redis' && readers.length === 0) {
    const alsoWith = spec.redisReaders.length ? ` (or with ${spec.redisReaders.join(' or ')})` : '';
    rejectStray(options, REDIS_OPTIONS, 'redis', selected, alsoWith);
  }
  if (selected === 'database' && !isSet(options, 'connectionString', 'dataSource')) {
    throw new GatekeeperConfigError(
      "connectionString or dataSource is required when backend is 'database'",
    );
  }
  if (selected === 'redis' && !isSet(options, 'redisUrl', 'redis')) {
    throw new GatekeeperConfigError("redisUrl or redis is required when backend is 'redis'");
  }
}

/** Types and exclusive pairs, whatever the backend. */
function checkValues(options: StorageModuleOptions): void {
  for (const [first, second] of [
    ['connectionString', 'dataSource'],
    ['redisUrl', 'redis'],
  ] as const) {
    if (isSet(options, first) && isSet(options, second)) {
      throw new GatekeeperConfigError(`give either ${first} or ${second}, not both`);
    }
  }
  requireText(options.connectionString, 'connectionString', 'a postgres://, mysql:// or sqlite:');
  requireText(
    options.redisUrl,
    'redisUrl',
    'a redis://, rediss://, redis+sentinel:// or redis+cluster://',
  );
  if (options.tablePrefix !== undefined) assertTablePrefix(options.tablePrefix);
  if (options.createTables !== undefined && typeof options.createTables !== 'boolean') {
    throw new GatekeeperConfigError('createTables must be true or false');
  }
  if (options.redisPrefix !== undefined && typeof options.redisPrefix !== 'string') {
    throw new GatekeeperConfigError("redisPrefix must be a string such as 'app:'");
  }
  for (const name of TIMEOUT_OPTIONS) {
    assertTimeout(options[name], name);
    if (isSet(options, name) && isSet(options, 'dataSource')) {
      throw new GatekeeperConfigError(
        `${name} applies to the connection the module opens from connectionString; with ` +
          'dataSource, set the timeouts on your DataSource (see the storage backends guide)',
      );
    }
  }
}

/**
 * A timeout in milliseconds: a whole number from 1 to 2147483647, or `undefined` (the default).
 * @throws GatekeeperConfigError
 */
export function assertTimeout(value: unknown, name: string): asserts value is number | undefined {
  if (value === undefined) return;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_TIMEOUT_MS
  ) {
    throw new GatekeeperConfigError(
      `${name} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
}

/**
 * Table prefixes are spliced into SQL and index names, so only plain identifiers are allowed.
 * @throws GatekeeperConfigError
 */
export function assertTablePrefix(tablePrefix: unknown): asserts tablePrefix is string {
  if (typeof tablePrefix !== 'string' || !TABLE_PREFIX.test(tablePrefix)) {
    throw new GatekeeperConfigError(
      'tablePrefix may only contain letters, digits and underscores (at most 32 characters): ' +
        'it becomes part of table names',
    );
  }
}

/** @throws GatekeeperConfigError naming the methods `value` lacks. */
export function assertStorageShape(
  value: unknown,
  what: string,
  spec: Pick<StorageOptionsSpec, 'storageInterface' | 'storageMethods'>,
): void {
  const missing = spec.storageMethods.filter(
    (method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new GatekeeperConfigError(
      `${what} must implement ${spec.storageInterface}; missing: ${missing.join(', ')}`,
    );
  }
}

function isSet(options: StorageModuleOptions, ...names: string[]): boolean {
  return names.some((name) => (options as Record<string, unknown>)[name] != null);
}

function requireText(value: unknown, name: string, expected: string): void {
  if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
    throw new GatekeeperConfigError(`${name} must be ${expected} URL (a non-empty string)`);
  }
}

function rejectStray(
  options: StorageModuleOptions,
  names: readonly string[],
  owner: StorageBackend,
  selected: StorageBackend,
  alsoWith: string,
): void {
  const stray = names.find((name) => isSet(options, name));
  if (stray) {
    throw new GatekeeperConfigError(
      `${stray} only applies to the '${owner}' backend${alsoWith}, but backend is ` +
        `'${selected}': set backend: '${owner}' or remove ${stray}`,
    );
  }
}
