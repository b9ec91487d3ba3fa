export { deepCopy } from './deep-copy';
export { requireDriver, assertDriverInstalled } from './driver';
export { GatekeeperConfigError, MissingDriverError } from './errors';
export { newId } from './new-id';
export { describeError, redactSecrets } from './redact';
export { connectRedis, parseRedisUrl, type ConnectRedisOptions } from './redis-connection';
export {
  createDataSource,
  parseConnectionString,
  type CreateDataSourceOptions,
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
  assertInProcessCacheOptions,
  TtlCache,
  turnClock,
  type TtlCacheEntry,
  type TtlCacheOptions,
} from './ttl-cache';
export { LuaScript } from './redis-script';
export { optionalHealthProviders } from './health-providers';
export { withSchemaLock } from './schema-lock';
export { RouteMetadataCache } from './route-metadata';
