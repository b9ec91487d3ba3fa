import type { Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import type { Clock } from './clock';
import { connectInvalidationBus, type InvalidationBus } from './invalidation-bus';
import type { LocalCacheWrapperOptions } from './local-cache';
import { metricsFor, timedStorage, type MetricsModule } from './metrics';
import { openRedis, type RedisClient } from './redis-connection';
import { assertClusterPrefix, redisPrefixFor } from './redis-slots';
import { borrowedHandle, ownedHandle, type Closable, type StorageHandle } from './storage-handle';
import {
  assertStorageShape,
  type StorageModuleOptions,
  type StorageOptionsSpec,
} from './storage-options';
import { tracingFor } from './tracing';

/** What a module's storage factory builds for each backend, and its defaults. */
export interface StorageKind<S extends Closable> extends StorageOptionsSpec {
  /** Names the module's Redis connection (CLIENT LIST): `'gatekeeper-feature-flags'`. */
  connectionName: string;
  /** The `module` label of the module's metrics. */
  metricsModule: MetricsModule;
  /**
   * The storage methods timed with `metrics: true` and traced with `tracing: true`. Default:
   * `storageMethods` but `close`.
   */
  timedOperations?: readonly string[];
  /** Names the cache's invalidation bus in logs: `'feature flags'`. */
  cacheName: string;
  defaultTablePrefix: string;
  defaultRedisPrefix: string;
  memory(): S;
  /** `create({ connectionString })`: a storage owning its DataSource. */
  openDatabase(
    options: {
      connectionString: string;
      tablePrefix: string;
      createTables: boolean;
    } & Pick<StorageModuleOptions, 'queryTimeout' | 'acquireTimeout'>,
  ): Promise<S>;
  /** A storage on the application's DataSource, which it never destroys. */
  database(dataSource: DataSource, tablePrefix: string): S & { createTables(): Promise<void> };
  /** A storage on a client it never quits: a server, Sentinel or Cluster (`prefix` tagged). */
  redis(client: RedisClient, prefix: string): S;
  /** The in-process cache; it must leave the wrapped storage open (the handle closes it). */
  localCache(inner: S, options: LocalCacheWrapperOptions): S;
}

/**
 * Builds the storage the (validated) options describe — a custom class or instance, or the
 * memory, database or Redis backend — with a handle that closes exactly what was created here.
 * With `metrics: true`, the database and Redis backends' calls are timed; with `tracing: true`,
 * each runs in a span.
 */
export async function createStorage<S extends Closable>(
  options: StorageModuleOptions,
  moduleRef: ModuleRef,
  kind: StorageKind<S>,
): Promise<StorageHandle<S>> {
  const handle = await createBackend(options, moduleRef, kind);
  const metrics = metricsFor(options.metrics);
  const tracing = tracingFor(options.tracing, kind.metricsModule);
  const backend = options.backend ?? 'memory';
  // Only stores that do I/O: the memory backend (and a custom storage, which may be one of ours)
  // keep their identity, which their synchronous reads are declared by.
  if ((!metrics && !tracing) || options.storage !== undefined || backend === 'memory') {
    return handle;
  }
  const operations = kind.timedOperations ?? kind.storageMethods.filter((name) => name !== 'close');
  const labels = { module: kind.metricsModule, backend };
  const storage = timedStorage(handle.storage, operations, labels, { metrics, tracing });
  return { storage, close: () => handle.close() };
}

async function createBackend<S extends Closable>(
  options: StorageModuleOptions,
  moduleRef: ModuleRef,
  kind: StorageKind<S>,
): Promise<StorageHandle<S>> {
  const custom = options.storage;
  if (typeof custom === 'function') {
    // A class is ours to instantiate (with its own dependencies injected), hence ours to close.
    const storage = await moduleRef.create(custom as Type<S>);
    assertStorageShape(storage, `the storage class ${custom.name}`, kind);
    return ownedHandle(storage);
  }
  if (custom !== undefined) return borrowedHandle(custom as S);

  switch (options.backend ?? 'memory') {
    case 'memory':
      return ownedHandle(kind.memory());
    case 'database': {
      const tablePrefix = options.tablePrefix ?? kind.defaultTablePrefix;
      const createTables = options.createTables ?? true;
      const { dataSource, connectionString } = options;
      // Without a DataSource the storage opens its own, and destroys it when closed.
      if (!dataSource) {
        return ownedHandle(
          await kind.openDatabase({
            connectionString: connectionString!,
            tablePrefix,
            createTables,
            queryTimeout: options.queryTimeout,
            acquireTimeout: options.acquireTimeout,
          }),
        );
      }
      // The application's DataSource: closing the storage leaves it open.
      const storage = kind.database(dataSource, tablePrefix);
      if (createTables) await storage.createTables();
      return ownedHandle(storage);
    }
    case 'redis': {
      // The application's client stays open; one opened from redisUrl is quit by the handle.
      const redis = await openRedis(options, kind.connectionName);
      const { client } = redis;
      try {
        const prefix = redisPrefixFor(client, options.redisPrefix, kind.defaultRedisPrefix);
        assertClusterPrefix(client, prefix, 'redisPrefix');
        const storage = kind.redis(client, prefix);
        return ownedHandle(storage, () => redis.close());
      } catch (error) {
        await redis.close();
        throw error;
      }
    }
  }
}

/**
 * Wraps the storage in the module's in-process cache when `localCache` is set; its entries age by
 * `clock`. Invalidations travel over Redis pub/sub on `{redisPrefix}invalidate` when the module
 * has a Redis (its backend's, or `redisUrl` / `redis` beside another backend); without one each
 * instance sees changes made elsewhere after the ttl. On failure, closes what it opened and the
 * storage's handle, then rethrows.
 */
export async function withLocalCache<S extends Closable>(
  handle: StorageHandle<S>,
  options: StorageModuleOptions,
  clock: Clock,
  kind: StorageKind<S>,
): Promise<StorageHandle<S>> {
  const { localCache } = options;
  if (!localCache) return handle;
  let invalidation: InvalidationBus | undefined;
  try {
    invalidation = await connectInvalidationBus(
      options,
      `${options.redisPrefix ?? kind.defaultRedisPrefix}invalidate`,
      kind.cacheName,
    );
    const storage = kind.localCache(handle.storage, {
      ttl: localCache.ttl,
      maxEntries: localCache.maxEntries,
      invalidation,
      now: () => clock.now(),
      metrics: metricsFor(options.metrics),
    });
    return ownedHandle(storage, () => handle.close());
  } catch (error) {
    await invalidation?.close();
    await handle.close();
    throw error;
  }
}
