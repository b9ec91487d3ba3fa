import { connectRedis, createDataSource } from '@gatekeeper/common';
import type { DemoConfig } from '../config/demo.config';

/** Injection token of the `StoreProbe` (or `null` for the memory backend). */
export const STORE_PROBE = 'STORE_PROBE';

/**
 * A connection of its own to the database or Redis the modules use, so /health reports the server
 * itself, next to what each module says about its storage.
 */
export interface StoreProbe {
  /** The health key: `database` or `redis`. */
  readonly name: 'database' | 'redis';
  readonly backend: DemoConfig['backend'];
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStoreProbe(config: DemoConfig): Promise<StoreProbe | null> {
  const { backend } = config;
  if (backend === 'memory') return null;
  if (backend === 'redis') {
    const redis = await connectRedis(config.redisUrl!, {
      connectionName: 'gatekeeper-demo-health',
      optionName: 'REDIS_URL',
    });
    return {
      name: 'redis',
      backend,
      ping: async () => {
        await redis.ping();
      },
      close: async () => {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  const dataSource = await createDataSource(config.databaseUrl!, {
    entities: [],
    optionName: 'DATABASE_URL',
  });
  return {
    name: 'database',
    backend,
    ping: async () => {
      await dataSource.query('SELECT 1');
    },
    close: () => dataSource.destroy(),
  };
}
