export { deepCopy } from './deep-copy';
export { requireDriver, assertDriverInstalled } from './driver';
export { assertNoRenamedOptions, GatekeeperConfigError, MissingDriverError } from './errors';
export { newId } from './new-id';
export { describeError, redactSecrets } from './redact';
export { connectRedis, parseRedisUrl, type ConnectRedisOptions } from './redis-connection';
export {
  createDataSource,
  parseConnectionString,
  type CreateDataSourceOptions,
  type SupportedDatabaseType,
} from './sql-connection';
export { TimeoutError, withTimeout } from './timeout';
export {
  connectInvalidationBus,
  RedisInvalidationBus,
  type InvalidationBus,
  type InvalidationBusSource,
  type RedisInvalidationBusOptions,
} from './invalidation-bus';
export {
  assertLocalCacheOptions,
  DEFAULT_LOCAL_CACHE_MAX_ENTRIES,
  type LocalCacheOptions,
} from './local-cache';
export { TtlCache, turnClock, type TtlCacheEntry, type TtlCacheOptions } from './ttl-cache';
export { LuaScript } from './redis-script';
export { optionalHealthProviders } from './health-providers';
export { withSchemaLock } from './schema-lock';
export { RouteMetadataCache } from './route-metadata';
