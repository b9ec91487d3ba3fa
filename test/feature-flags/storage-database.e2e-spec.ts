import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type Logger } from 'typeorm';
import { GatekeeperConfigError } from '@gatekeeper/common';
import {
  CreateFeatureFlagTables1767225600000,
  DatabaseFeatureFlagStorage,
  featureFlagMigrations,
  FlagVersionConflictError,
  type CreateFlagInput,
} from '@gatekeeper/feature-flags';
import { uniqueName } from '../harness/servers';
import { openDataSource, testDatabase } from './fixtures/storage-backends/backends';

type Kind = 'postgres' | 'mysql' | 'sqlite';
const KINDS: Kind[] = ['postgres', 'mysql', 'sqlite'];

/** Counts the statements a DataSource sends, the way an application's query log would show them. */
class QueryCounter implements Logger {
  queries: string[] = [];
  logQuery(query: string) {
    this.queries.push(query);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

const flagWithChildren = (key: string): CreateFlagInput => ({
  key,
  rules: [
    { name: 'beta', conditions: [{ attribute: 'plan', operator: 'eq', value: 'beta' }] },
    { name: 'everyone', rolloutPercentage: 10 },
  ],
  variants: [
    { key: 'a', value: 'A', weight: 50 },
    { key: 'b', value: 'B', weight: 50 },
  ],
});

describe.each(['postgres', 'mysql'] as const)('shipped migrations on %s', (kind) => {
  it('create the tables, match the entity schemas, serve the storage and roll back', async () => {
    const tablePrefix = uniqueName('mig_') + '_';
    const dataSource = await openDataSource(kind, tablePrefix, {
      migrations: featureFlagMigrations(tablePrefix),
    });
    try {
      const ran = await dataSource.runMigrations();
      expect(ran.map((migration) => migration.name)).toEqual([
        `CreateFeatureFlagTables_${tablePrefix}1767225600000`,
        `AddFeatureFlagVersion_${tablePrefix}1796083200000`,
        `AddFeatureFlagNamedValues_${tablePrefix}1796169600000`,
        `AddFeatureFlagSegments_${tablePrefix}1796256000000`,
        `AddFeatureFlagEnvironmentsAndSchedules_${tablePrefix}1796342400000`,
      ]);
      // What TypeORM would generate or synchronize from the entities: nothing.
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);

      const storage = new DatabaseFeatureFlagStorage(dataSource, { tablePrefix });
      const flag = await storage.createFlag(flagWithChildren('migrated'));
      expect(await storage.getFlag('migrated')).toEqual(flag);
      await storage.close();
      expect(dataSource.isInitialized).toBe(true);

      // Undoing 0.5 is checked in storage-database-protocol.e2e-spec.ts.
      await dataSource.undoLastMigration();
      await dataSource.undoLastMigration();
      const afterSegments = dataSource.createQueryRunner();
      try {
        expect(await afterSegments.hasTable(`${tablePrefix}segments`)).toBe(false);
        expect(await afterSegments.hasColumn(`${tablePrefix}flags`, 'default_variant')).toBe(true);
      } finally {
        await afterSegments.release();
      }
      await dataSource.undoLastMigration();
      const afterOne = dataSource.createQueryRunner();
      try {
        expect(await afterOne.hasColumn(`${tablePrefix}flags`, 'default_variant')).toBe(false);
        expect(await afterOne.hasColumn(`${tablePrefix}rules`, 'serve_variant')).toBe(false);
        expect(await afterOne.hasColumn(`${tablePrefix}flags`, 'version')).toBe(true);
      } finally {
        await afterOne.release();
      }
      await dataSource.undoLastMigration();
      const afterTwo = dataSource.createQueryRunner();
      try {
        expect(await afterTwo.hasColumn(`${tablePrefix}flags`, 'version')).toBe(false);
        expect(await afterTwo.hasTable(`${tablePrefix}rules`)).toBe(true);
      } finally {
        await afterTwo.release();
      }
      await dataSource.undoLastMigration();
      const queryRunner = dataSource.createQueryRunner();
      try {
        expect(await queryRunner.hasTable(`${tablePrefix}flags`)).toBe(false);
        expect(await queryRunner.hasTable(`${tablePrefix}overrides`)).toBe(false);
      } finally {
        await queryRunner.release();
      }
    } finally {
      await dataSource.destroy();
    }
  });
});

describe.each(KINDS)('a 0.2 schema (no version column) on %s', (kind) => {
  it('is upgraded at startup with createTables, keeping every row', async () => {
    const tablePrefix = uniqueName('old_') + '_';
    const file = join(mkdtempSync(join(tmpdir(), 'ff-upgrade-')), 'flags.db');
    const connectionString = kind === 'sqlite' ? `sqlite:${file}` : await testDatabase(kind);
    const old = new DataSource(
      kind === 'sqlite'
        ? { type: 'better-sqlite3', database: file }
        : kind === 'postgres'
          ? { type: 'postgres', url: connectionString }
          : // The type the storage derives from the URL, so that both see the same columns.
            { type: 'mysql', url: connectionString, timezone: 'Z' },
    );
    await old.initialize();
    const at = new Date('2025-06-01T10:00:00.000Z');
    const tables = {
      flags: `${tablePrefix}flags`,
      rules: `${tablePrefix}rules`,
      variants: `${tablePrefix}variants`,
      overrides: `${tablePrefix}overrides`,
    };
    try {
      // What 0.1/0.2 created and wrote.
      const runner = old.createQueryRunner();
      try {
        await new CreateFeatureFlagTables1767225600000(tablePrefix).up(runner);
        expect(await runner.hasColumn(tables.flags, 'version')).toBe(false);
      } finally {
        await runner.release();
      }
      const yes = kind === 'postgres' ? true : 1;
      const insert = (table: string, row: Record<string, unknown>) =>
        old.createQueryBuilder().insert().into(table, Object.keys(row)).values(row).execute();
      await insert(tables.flags, {
        id: 'f-old',
        key: 'legacy',
        name: 'Legacy',
        description: null,
        flag_type: 'boolean',
        status: 'active',
        default_enabled: yes,
        default_value: 'null',
        tags: '["old"]',
        metadata: '{"owner":"ops"}',
        created_at: at,
        updated_at: at,
      });
      await insert(tables.rules, {
        id: 'r-old',
        flag_id: 'f-old',
        position: 0,
        name: 'beta',
        description: null,
        priority: 0,
        enabled: yes,
        conditions: '[]',
        serve_enabled: yes,
        serve_value: 'null',
        rollout_percentage: null,
      });
      await insert(tables.variants, {
        id: 'v-old',
        flag_id: 'f-old',
        position: 0,
        key: 'a',
        name: 'a',
        description: null,
        value: '1',
        weight: 100,
      });
      await insert(tables.overrides, {
        id: 'o-old',
        flag_id: 'f-old',
        entity_type: 'user',
        entity_id: 'alice',
        enabled: yes,
        value: 'null',
        expires_at: null,
        created_at: at,
        updated_at: at,
      });
    } finally {
      await old.destroy();
    }

    const storage = await DatabaseFeatureFlagStorage.create({ connectionString, tablePrefix });
    try {
      const legacy = await storage.getFlag('legacy');
      expect(legacy).toMatchObject({
        id: 'f-old',
        name: 'Legacy',
        defaultEnabled: true,
        tags: ['old'],
        metadata: { owner: 'ops' },
        version: 1,
        rules: [expect.objectContaining({ id: 'r-old', name: 'beta' })],
        variants: [expect.objectContaining({ id: 'v-old', key: 'a', value: 1 })],
      });
      expect(legacy?.createdAt).toEqual(at);
      expect(await storage.getOverride('f-old', 'user', 'alice')).toMatchObject({ id: 'o-old' });

      const updated = await storage.updateFlag({ ...legacy!, name: 'Upgraded' });
      expect(updated.version).toBe(2);
      await expect(storage.updateFlag({ ...legacy!, name: 'stale' })).rejects.toBeInstanceOf(
        FlagVersionConflictError,
      );
      const fresh = await storage.createFlag({ key: 'after-upgrade' });
      expect(fresh.version).toBe(1);
      // The upgraded table is what the entity schemas describe, and a second start is a no-op.
      await storage.createTables();
      // (Read as the other schema tests do: TypeORM's 'mysql' type misreads MariaDB's nullable
      // columns whoever created them, its 'mariadb' type does not.)
      const own = (storage as unknown as { dataSource: DataSource }).dataSource;
      const dataSource = kind === 'sqlite' ? own : await openDataSource(kind, tablePrefix);
      try {
        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      } finally {
        if (dataSource !== own) await dataSource.destroy();
      }
    } finally {
      await storage.close();
    }
  });
});

describe.each(['postgres', 'mysql'] as const)('instances starting together on %s', (kind) => {
  it('all create the tables and serve the same flags', async () => {
    const tablePrefix = uniqueName('boot_') + '_';
    const connectionString = await testDatabase(kind);
    const storages = await Promise.all(
      [1, 2, 3].map(() => DatabaseFeatureFlagStorage.create({ connectionString, tablePrefix })),
    );
    try {
      const flag = await storages[0].createFlag(flagWithChildren('booted'));
      expect(await storages[2].getFlag('booted')).toEqual(flag);
    } finally {
      await Promise.all(storages.map((storage) => storage.close()));
    }
  });
});

describe.each(KINDS)('DatabaseFeatureFlagStorage on %s', (kind) => {
  let dataSource: DataSource;
  let storage: DatabaseFeatureFlagStorage;
  const counter = new QueryCounter();
  const tablePrefix = uniqueName('db_') + '_';

  beforeAll(async () => {
    dataSource = await openDataSource(kind, tablePrefix, { logger: counter });
    storage = new DatabaseFeatureFlagStorage(dataSource, { tablePrefix });
    await storage.createTables();
  });

  afterAll(async () => {
    await storage.close();
    await dataSource.destroy();
  });

  async function queriesOf(work: () => Promise<unknown>): Promise<string[]> {
    counter.queries = [];
    await work();
    return counter.queries;
  }

  it('creates its tables idempotently, entity schemas and tables agreeing', async () => {
    await storage.createTables();
    await Promise.all([storage.createTables(), storage.createTables()]);
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('reads flags with rules and variants in the same number of queries, however many', async () => {
    const tag = uniqueName('count-');
    const keys = Array.from({ length: 30 }, (_, i) => `${tag}-${i}`);
    for (const key of keys) await storage.createFlag(flagWithChildren(key));

    const few = await queriesOf(() => storage.getFlags(keys.slice(0, 2)));
    const many = await queriesOf(async () => {
      const found = await storage.getFlags(keys);
      expect(found.size).toBe(30);
      expect(found.get(keys[29])?.rules).toHaveLength(2);
      expect(found.get(keys[29])?.variants).toHaveLength(2);
    });
    expect(many.length).toBe(few.length);
    expect(many.length).toBeLessThanOrEqual(3);

    const all = await queriesOf(async () => {
      const active = await storage.getAllActiveFlags();
      expect(active.filter((flag) => flag.key.startsWith(tag))).toHaveLength(30);
    });
    expect(all.length).toBeLessThanOrEqual(3);
  });

  it('writes a flag and its rules and variants in one transaction, all or nothing', async () => {
    const key = uniqueName('atomic-');
    const statements = await queriesOf(() => storage.createFlag(flagWithChildren(key)));
    const begin = statements.findIndex((query) => /^(BEGIN|START TRANSACTION)/i.test(query));
    const commit = statements.findIndex((query) => /^COMMIT/i.test(query));
    const inserts = statements.flatMap((query, index) => (/^INSERT/i.test(query) ? [index] : []));
    expect(inserts).toHaveLength(3);
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(inserts.every((index) => index > begin && index < commit)).toBe(true);

    // Two variants with one id: the second insert fails, and the flag row goes with it.
    const broken = uniqueName('broken-');
    const variant = { id: '6f1d3c1e-0000-4000-8000-000000000001', value: 1, weight: 50 };
    await expect(
      storage.createFlag({
        key: broken,
        variants: [
          { ...variant, key: 'a' },
          { ...variant, key: 'b' },
        ],
      }),
    ).rejects.toThrow();
    expect(await storage.getFlag(broken)).toBeNull();
  });

  it('keeps the DataSource it was given open when closed', async () => {
    const shared = new DatabaseFeatureFlagStorage(dataSource, { tablePrefix });
    await shared.close();
    expect(await shared.healthCheck()).toBe(false);
    expect(dataSource.isInitialized).toBe(true);
    expect(await storage.healthCheck()).toBe(true);
  });

  it('says what to add when the DataSource lacks the entities', async () => {
    expect(() => new DatabaseFeatureFlagStorage(dataSource, { tablePrefix: 'other_' })).toThrow(
      GatekeeperConfigError,
    );
    expect(() => new DatabaseFeatureFlagStorage(dataSource, { tablePrefix: 'other_' })).toThrow(
      /featureFlagEntities\('(postgres|mariadb|better-sqlite3)', 'other_'\)/,
    );
  });
});

describe('timestamps', () => {
  it('are stored in UTC on MySQL whatever the zone of the process', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    const tablePrefix = uniqueName('tz_') + '_';
    const storage = await DatabaseFeatureFlagStorage.create({
      connectionString: await testDatabase('mysql'),
      tablePrefix,
    });
    try {
      const flag = await storage.createFlag({ key: 'tz' });
      const dataSource = (storage as unknown as { dataSource: DataSource }).dataSource;
      const [row] = await dataSource.query(
        `SELECT CAST(created_at AS CHAR) AS created FROM ${tablePrefix}flags WHERE id = ?`,
        [flag.id],
      );
      expect(row.created).toBe(flag.createdAt.toISOString().replace('T', ' ').replace('Z', ''));
      expect((await storage.getFlag('tz'))?.createdAt).toEqual(flag.createdAt);
    } finally {
      await storage.close();
      process.env.TZ = zone;
      if (zone === undefined) delete process.env.TZ;
    }
  });
});
