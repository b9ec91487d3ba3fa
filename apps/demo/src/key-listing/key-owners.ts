/*
 * STOPGAP until @gatekeeper/api-auth can list every key. `ApiKeyStorage` only lists the keys of
 * one owner, so to list them all the demo reads the owner ids straight from the store, in the
 * layout the lib documents (SQL table `{tablePrefix}api_keys`, Redis sets `{prefix}owner:{id}`),
 * over a connection of its own. Once `ApiKeyStorage`/`ApiKeyService` have
 * `list({ limit, cursor })`, `KeyListing` calls that instead and this file goes away.
 */
import { connectRedis, createDataSource } from '@gatekeeper/common';
import type { DemoConfig } from '../config/demo.config';
import { apiAuthOptions } from '../gatekeeper/gatekeeper.options';

/** Injection token of the `KeyOwners` source (`null` on the memory backend). */
export const KEY_OWNERS = 'KEY_OWNERS';

/** Every owner id that has keys in the store. */
export interface KeyOwners {
  ownerIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** Connects on first use, so a demo nobody asks for every key never opens the connection. */
export function keyOwnersOf(config: DemoConfig): KeyOwners | null {
  if (config.backend === 'memory') return null;
  const options = apiAuthOptions(config);
  let opened: Promise<KeyOwners> | undefined;
  const open = () =>
    (opened ??=
      config.backend === 'redis'
        ? redisOwners(config.redisUrl!, options.redisPrefix ?? '')
        : sqlOwners(config.databaseUrl!, options.tablePrefix ?? ''));
  return {
    ownerIds: async () => (await open()).ownerIds(),
    close: async () => {
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}

async function redisOwners(url: string, prefix: string): Promise<KeyOwners> {
  const redis = await connectRedis(url, {
    connectionName: 'gatekeeper-demo-key-owners',
    optionName: 'REDIS_URL',
  });
  const setPrefix = `${prefix}owner:`;
  return {
    ownerIds: async () => {
      const owners = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `${escapeGlob(setPrefix)}*`,
          'COUNT',
          1000,
        );
        for (const key of keys) owners.add(key.slice(setPrefix.length));
        cursor = next;
      } while (cursor !== '0');
      return [...owners];
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

async function sqlOwners(url: string, tablePrefix: string): Promise<KeyOwners> {
  const dataSource = await createDataSource(url, { entities: [], optionName: 'DATABASE_URL' });
  const table = dataSource.driver.escape(`${tablePrefix}api_keys`);
  return {
    ownerIds: async () => {
      const rows: Array<{ owner_id: string }> = await dataSource.query(
        `SELECT DISTINCT owner_id FROM ${table}`,
      );
      return rows.map((row) => row.owner_id);
    },
    close: () => dataSource.destroy(),
  };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
