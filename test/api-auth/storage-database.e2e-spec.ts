import { randomUUID } from 'node:crypto';
import { apiKeyMigrations, DatabaseApiKeyStorage, type ApiKey } from '@gatekeeper/api-auth';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { createTestDatabase, uniqueName } from '../harness/servers';

type ServerKind = 'postgres' | 'mysql';

async function serverDataSource(
  kind: ServerKind,
  extra: Partial<DataSourceOptions> = {},
): Promise<DataSource> {
  const dataSource = new DataSource({
    type: kind,
    url: await createTestDatabase(kind),
    ...extra,
  } as DataSourceOptions);
  return dataSource.initialize();
}

/** Index columns in index order, read from the catalog (TypeORM's getTable reorders them). */
async function indexes(
  kind: ServerKind,
  dataSource: DataSource,
  table: string,
): Promise<Array<{ columns: string; unique: boolean }>> {
  if (kind === 'postgres') {
    const rows: Array<{ indexdef: string }> = await dataSource.query(
      'SELECT indexdef FROM pg_indexes WHERE tablename = $1',
      [table],
    );
    return rows.map(({ indexdef }) => ({
      columns: /\((.*)\)$/.exec(indexdef)![1].replace(/[\s"]/g, ''),
      unique: indexdef.startsWith('CREATE UNIQUE'),
    }));
  }
  const rows: Array<{ Key_name: string; Column_name: string; Non_unique: number }> =
    await dataSource.query(`SHOW INDEX FROM \`${table}\``);
  const byName = new Map<string, { columns: string[]; unique: boolean }>();
  for (const row of rows) {
    const index = byName.get(row.Key_name) ?? { columns: [], unique: Number(row.Non_unique) === 0 };
    index.columns.push(row.Column_name);
    byName.set(row.Key_name, index);
  }
  return [...byName.values()].map(({ columns, unique }) => ({
    columns: columns.join(','),
    unique,
  }));
}

async function collectIds(storage: DatabaseApiKeyStorage, ownerId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const apiKey of storage.listByOwner(ownerId)) ids.push(apiKey.id);
  return ids.sort();
}

function newKey(ownerId = 'owner-1'): ApiKey {
  return {
    id: randomUUID(),
    name: 'migrated',
    ownerId,
    prefix: 'sk_Ab12cd',
    keyHash: randomUUID().replace(/-/g, ''),
    scopes: ['a:b'],
    metadata: {},
    createdAt: new Date('2030-01-01T00:00:00.000Z'),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
  };
}

describe.each<ServerKind>(['postgres', 'mysql'])('DatabaseApiKeyStorage schema on %s', (kind) => {
  it('ships migrations that create the table and indexes the storage needs', async () => {
    const dataSource = await serverDataSource(kind, {
      migrations: [...apiKeyMigrations(), ...apiKeyMigrations('tenant_')],
    });
    try {
      const ran = await dataSource.runMigrations();
      expect(ran.map((migration) => migration.name).sort()).toEqual([
        'AddApiKeyVersion1796083200000',
        'AddApiKeyVersion_tenant_1796083200000',
        'CreateApiKeysTable1767225600000',
        'CreateApiKeysTable_tenant_1767225600000',
      ]);
      expect(await dataSource.runMigrations()).toEqual([]);

      for (const table of ['api_keys', 'tenant_api_keys']) {
        expect(await indexes(kind, dataSource, table)).toEqual(
          expect.arrayContaining([
            { columns: 'id', unique: true },
            { columns: 'key_hash', unique: true },
            { columns: 'owner_id,id', unique: false },
          ]),
        );
      }

      const storage = new DatabaseApiKeyStorage(dataSource, { tablePrefix: 'tenant_' });
      // createTables on a migrated database changes nothing.
      await storage.createTables();
      const apiKey = await storage.create(newKey());
      expect(await storage.getByHash(apiKey.keyHash)).toEqual({ ...apiKey, version: 1 });
      await storage.close();
      // A DataSource handed in stays open.
      expect(dataSource.isInitialized).toBe(true);

      for (let i = 0; i < 4; i++) await dataSource.undoLastMigration();
      const runner = dataSource.createQueryRunner();
      expect(await runner.hasTable('api_keys')).toBe(false);
      await runner.release();
    } finally {
      await dataSource.destroy();
    }
  });

  it('upgrades a 0.2 table in place: existing keys get version 1 and keep working', async () => {
    const dataSource = await serverDataSource(kind);
    try {
      const tablePrefix = uniqueName('old_');
      // The table as 0.2 created it: the first migration only.
      const [CreateTable] = apiKeyMigrations(tablePrefix);
      const runner = dataSource.createQueryRunner();
      await new CreateTable().up(runner);
      await runner.release();
      const legacy = newKey('legacy-owner');
      const storage = new DatabaseApiKeyStorage(dataSource, { tablePrefix });
      const q = (name: string) => dataSource.driver.escape(name);
      const marks =
        kind === 'postgres' ? '$1, $2, $3, $4, $5, $6, $7, $8' : '?, ?, ?, ?, ?, ?, ?, ?';
      await dataSource.query(
        `INSERT INTO ${q(`${tablePrefix}api_keys`)} ` +
          '(id, name, owner_id, prefix, key_hash, scopes, metadata, created_at) ' +
          `VALUES (${marks})`,
        [
          legacy.id,
          legacy.name,
          legacy.ownerId,
          legacy.prefix,
          legacy.keyHash,
          '["a:b"]',
          '{}',
          legacy.createdAt.getTime(),
        ],
      );

      // What createTables (and so every start) runs: the missing migration.
      await storage.createTables();
      await storage.createTables();
      expect(await storage.getByHash(legacy.keyHash)).toEqual({ ...legacy, version: 1 });
      const renamed = await storage.update({ ...legacy, version: 1, name: 'renamed' });
      expect(renamed.version).toBe(2);
      await expect(storage.update({ ...legacy, version: 1 })).rejects.toMatchObject({
        name: 'ApiKeyVersionConflictError',
        actual: 2,
      });
      const fresh = await storage.create(newKey('legacy-owner'));
      expect(fresh.version).toBe(1);
      expect(await collectIds(storage, 'legacy-owner')).toEqual([legacy.id, fresh.id].sort());
    } finally {
      await dataSource.destroy();
    }
  });

  it('createTables is safe when several instances start at once, and on every start', async () => {
    const dataSource = await serverDataSource(kind, {
      extra: kind === 'postgres' ? { max: 20 } : { connectionLimit: 20 },
    });
    try {
      const tablePrefix = uniqueName('race_');
      const storages = Array.from(
        { length: 5 },
        () => new DatabaseApiKeyStorage(dataSource, { tablePrefix }),
      );
      await Promise.all(storages.map((storage) => storage.createTables()));
      const apiKey = await storages[0].create(newKey());
      await storages[1].createTables();
      expect(await storages[4].getById(apiKey.id)).toEqual(apiKey);
    } finally {
      await dataSource.destroy();
    }
  });
});

/**
 * 100,000 keys of one owner, inserted in one statement. What proves streaming: every query the
 * iteration sends returns at most one page, and stopping early sends no further query.
 */
describe.each([
  ['sqlite', () => new DataSource({ type: 'better-sqlite3', database: ':memory:' })],
  [
    'postgres',
    async () => new DataSource({ type: 'postgres', url: await createTestDatabase('postgres') }),
  ],
] as const)('DatabaseApiKeyStorage.listByOwner with 100,000 keys on %s', (name, makeDataSource) => {
  const COUNT = 100_000;
  const PAGE_SIZE = 1000;
  let dataSource: DataSource;
  let storage: DatabaseApiKeyStorage;
  const pageSizes: number[] = [];

  beforeAll(async () => {
    dataSource = await (await makeDataSource()).initialize();
    storage = new DatabaseApiKeyStorage(dataSource, { pageSize: PAGE_SIZE });
    await storage.createTables();
    const padded = name === 'sqlite' ? "printf('%064d', n)" : "lpad(n::text, 64, '0')";
    const id = name === 'sqlite' ? "printf('key-%06d', n)" : "'key-' || lpad(n::text, 6, '0')";
    const numbers =
      name === 'sqlite'
        ? `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${COUNT}) `
        : '';
    const source = name === 'sqlite' ? 'seq' : `generate_series(1, ${COUNT}) AS seq(n)`;
    await dataSource.query(
      `${numbers}INSERT INTO api_keys (id, name, owner_id, prefix, key_hash, scopes, metadata, created_at) ` +
        `SELECT ${id}, 'bulk', 'whale', 'sk_', ${padded}, '["x:y"]', '{}', 1893456000000 FROM ${source}`,
    );
    await storage.create(newKey('minnow'));
    dataSource.subscribers.push({
      afterQuery(event) {
        if (!/owner_id = /.test(event.query)) return;
        const raw = event.rawResults as unknown[] | { rows?: unknown[] };
        pageSizes.push(Array.isArray(raw) ? raw.length : (raw.rows?.length ?? 0));
      },
    });
  }, 120_000);

  afterAll(() => dataSource.destroy());

  beforeEach(() => {
    pageSizes.length = 0;
  });

  it('yields every key once while reading one bounded page per query', async () => {
    let count = 0;
    let previous = '';
    for await (const apiKey of storage.listByOwner('whale')) {
      expect(apiKey.id > previous).toBe(true);
      previous = apiKey.id;
      count += 1;
    }
    expect(count).toBe(COUNT);
    expect(Math.max(...pageSizes)).toBeLessThanOrEqual(PAGE_SIZE);
    expect(pageSizes.length).toBeGreaterThanOrEqual(COUNT / PAGE_SIZE);
  }, 120_000);

  it('reads nothing more once the caller stops', async () => {
    let seen = 0;
    for await (const apiKey of storage.listByOwner('whale')) {
      expect(apiKey.ownerId).toBe('whale');
      seen += 1;
      if (seen === 10) break;
    }
    expect(pageSizes).toEqual([PAGE_SIZE]);
  });
});

describe('DatabaseApiKeyStorage construction', () => {
  it('refuses a DataSource of a database it does not support', () => {
    const dataSource = { options: { type: 'mssql' } } as DataSource;
    expect(() => new DatabaseApiKeyStorage(dataSource)).toThrow(
      /supports postgres, mysql, mariadb and better-sqlite3 DataSources \(got 'mssql'\)/,
    );
  });

  it('refuses a table prefix that is not a plain identifier', () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    expect(() => new DatabaseApiKeyStorage(dataSource, { tablePrefix: 'x; DROP' })).toThrow(
      /tablePrefix may only contain letters, digits and underscores/,
    );
  });
});
