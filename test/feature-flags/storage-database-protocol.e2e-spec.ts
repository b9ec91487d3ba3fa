import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { placeholders } from '@gatekeeper/common';
import {
  CreateFeatureFlagTables1767225600000,
  DatabaseFeatureFlagStorage,
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  featureFlagMigrations,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  type FeatureFlag,
} from '@gatekeeper/feature-flags';
import { uniqueName } from '../harness/servers';
import { openDataSource, testDatabase } from './fixtures/storage-backends/backends';

type Kind = 'postgres' | 'mysql' | 'sqlite';
const KINDS: Kind[] = ['postgres', 'mysql', 'sqlite'];

const NEW_TABLES = [
  'environments',
  'environment_flags',
  'scheduled_changes',
  'rollout_phases',
  'time_schedules',
];

function dataSourceOf(storage: DatabaseFeatureFlagStorage): DataSource {
  return (storage as unknown as { dataSource: DataSource }).dataSource;
}

/** A statement past the storage, written with `?` placeholders. */
function query<T>(storage: DatabaseFeatureFlagStorage, sql: string, parameters: unknown[]) {
  const dataSource = dataSourceOf(storage);
  const dialect = dataSource.options.type === 'postgres' ? 'postgres' : 'mysql';
  return dataSource.query<T>(placeholders(sql, dialect), parameters);
}

/** Rows of a table for one flag or environment, read past the storage. */
async function countRows(
  storage: DatabaseFeatureFlagStorage,
  table: string,
  column: string,
  id: string,
): Promise<number> {
  const sql = `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`;
  const [row] = await query<Array<{ n: number | string }>>(storage, sql, [id]);
  return Number(row.n);
}

/** A connection string of a fresh database (SQLite: a file, so that several DataSources share it). */
async function connectionStringOf(kind: Kind): Promise<string> {
  if (kind !== 'sqlite') return testDatabase(kind);
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'ff-protocol-')), 'flags.db')}`;
}

describe.each(['postgres', 'mysql'] as const)('the 0.5 migration on %s', (kind) => {
  it('is shipped last, matches the entity schemas and rolls back to 0.4', async () => {
    const tablePrefix = uniqueName('mig5_') + '_';
    const dataSource = await openDataSource(kind, tablePrefix, {
      migrations: featureFlagMigrations(tablePrefix),
    });
    try {
      const ran = await dataSource.runMigrations();
      expect(ran.at(-1)?.name).toBe(
        `AddFeatureFlagEnvironmentsAndSchedules_${tablePrefix}1796342400000`,
      );
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);

      await dataSource.undoLastMigration();
      const runner = dataSource.createQueryRunner();
      try {
        for (const table of NEW_TABLES) {
          expect(await runner.hasTable(`${tablePrefix}${table}`)).toBe(false);
        }
        expect(await runner.hasTable(`${tablePrefix}segments`)).toBe(true);
      } finally {
        await runner.release();
      }
    } finally {
      await dataSource.destroy();
    }
  });
});

describe.each(KINDS)('a 0.1 schema on %s', (kind) => {
  it('upgrades at startup keeping its flags, and the new tables work', async () => {
    const tablePrefix = uniqueName('v01_') + '_';
    const connectionString = await connectionStringOf(kind);
    const old = new DataSource(
      kind === 'sqlite'
        ? { type: 'better-sqlite3', database: connectionString.slice('sqlite:'.length) }
        : kind === 'postgres'
          ? { type: 'postgres', url: connectionString }
          : { type: 'mysql', url: connectionString, timezone: 'Z' },
    );
    await old.initialize();
    const at = new Date('2025-01-02T03:04:05.678Z');
    try {
      const runner = old.createQueryRunner();
      try {
        await new CreateFeatureFlagTables1767225600000(tablePrefix).up(runner);
      } finally {
        await runner.release();
      }
      const yes = kind === 'postgres' ? true : 1;
      const insert = (table: string, row: Record<string, unknown>) =>
        old
          .createQueryBuilder()
          .insert()
          .into(`${tablePrefix}${table}`, Object.keys(row))
          .values(row)
          .execute();
      await insert('flags', {
        id: 'f-01',
        key: 'from-0-1',
        name: 'From 0.1',
        description: 'kept',
        flag_type: 'boolean',
        status: 'active',
        default_enabled: yes,
        default_value: 'null',
        tags: '["old"]',
        metadata: '{"team":"core"}',
        created_at: at,
        updated_at: at,
      });
      await insert('rules', {
        id: 'r-01',
        flag_id: 'f-01',
        position: 0,
        name: 'everyone',
        description: null,
        priority: 0,
        enabled: yes,
        conditions: '[]',
        serve_enabled: yes,
        serve_value: 'null',
        rollout_percentage: 20,
      });
    } finally {
      await old.destroy();
    }

    const storage = await DatabaseFeatureFlagStorage.create({ connectionString, tablePrefix });
    try {
      const flag = await storage.getFlag('from-0-1');
      expect(flag).toMatchObject({
        id: 'f-01',
        name: 'From 0.1',
        description: 'kept',
        defaultEnabled: true,
        tags: ['old'],
        metadata: { team: 'core' },
        version: 1,
        rules: [expect.objectContaining({ id: 'r-01', rolloutPercentage: 20 })],
      });
      expect(flag?.createdAt).toEqual(at);

      const environment = await storage.createEnvironment({ name: 'Prod', slug: 'prod' });
      const settings = await storage.createEnvironmentFlag({
        environmentId: environment.id,
        flagId: 'f-01',
        enabled: false,
      });
      expect(await storage.getEnvironmentFlag(environment.id, 'f-01')).toEqual(settings);
      const phase = await storage.createRolloutPhase({
        flagId: 'f-01',
        phaseNumber: 1,
        targetPercentage: 60,
        scheduledAt: at,
      });
      const applied = await storage.applyRolloutPhase(phase.id, new Date());
      expect(applied?.rules[0].rolloutPercentage).toBe(60);
      expect(applied?.version).toBe(2);

      // A second start finds nothing to do, and the tables are what the entities describe.
      await storage.createTables();
      const own = dataSourceOf(storage);
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

describe.each(KINDS)('DatabaseFeatureFlagStorage environments and schedules on %s', (kind) => {
  let storage: DatabaseFeatureFlagStorage;
  const tablePrefix = uniqueName('proto_') + '_';
  const table = (name: string) => `${tablePrefix}${name}`;

  beforeAll(async () => {
    storage = await DatabaseFeatureFlagStorage.create({
      connectionString: await connectionStringOf(kind),
      tablePrefix,
    });
  });

  afterAll(async () => {
    await storage.close();
  });

  const newFlag = () =>
    storage.createFlag({
      key: uniqueName('flag-'),
      rules: [{ name: 'rollout', rolloutPercentage: 10 }],
    });
  const newEnvironment = (parentId: string | null = null) =>
    storage.createEnvironment({ name: 'Env', slug: uniqueName('env-'), parentId });
  const later = new Date('2030-01-01T00:00:00.000Z');

  it('deletes every row of a deleted flag, in all four tables', async () => {
    const flag = await newFlag();
    const environment = await newEnvironment();
    await storage.createEnvironmentFlag({ environmentId: environment.id, flagId: flag.id });
    await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: later,
    });
    await storage.createRolloutPhase({
      flagId: flag.id,
      phaseNumber: 1,
      targetPercentage: 50,
      scheduledAt: later,
    });
    await storage.createTimeSchedule({
      flagId: flag.id,
      name: 'office hours',
      recurrenceType: 'daily',
      startTime: '09:00',
      endTime: '17:00',
    });
    const children = ['environment_flags', 'scheduled_changes', 'rollout_phases', 'time_schedules'];
    for (const child of children) {
      expect(await countRows(storage, table(child), 'flag_id', flag.id)).toBe(1);
    }

    expect(await storage.deleteFlag(flag.key)).toBe(true);
    for (const child of children) {
      expect(await countRows(storage, table(child), 'flag_id', flag.id)).toBe(0);
    }
    expect(await storage.getEnvironment(environment.slug)).toEqual(environment);
  });

  it('deletes the settings of a deleted environment; its children keep their parentId', async () => {
    const flag = await newFlag();
    const parent = await newEnvironment();
    const child = await newEnvironment(parent.id);
    await storage.createEnvironmentFlag({ environmentId: parent.id, flagId: flag.id });

    expect(await storage.deleteEnvironment(parent.slug)).toBe(true);
    expect(await countRows(storage, table('environment_flags'), 'environment_id', parent.id)).toBe(
      0,
    );
    expect(await storage.getFlagEnvironments(flag.id)).toEqual([]);
    expect(await storage.getEnvironment(child.slug)).toEqual(child);
    expect(await storage.getChildEnvironments(parent.id)).toEqual([child]);
  });

  it('stores inherited rules and variants as SQL NULL', async () => {
    const flag = await newFlag();
    const environment = await newEnvironment();
    await storage.createEnvironmentFlag({
      environmentId: environment.id,
      flagId: flag.id,
      percentage: 5,
    });
    const dataSource = dataSourceOf(storage);
    const rows = await dataSource
      .createQueryBuilder()
      .select(['rules', 'variants'])
      .from(table('environment_flags'), 's')
      .where('flag_id = :id', { id: flag.id })
      .getRawMany<{ rules: unknown; variants: unknown }>();
    expect(rows).toEqual([{ rules: null, variants: null }]);
  });

  it('lets exactly one of concurrent creates of a slug, a pair or a phase win', async () => {
    const flag = await newFlag();
    const slug = uniqueName('race-');
    const environments = await Promise.allSettled(
      Array.from({ length: 6 }, () => storage.createEnvironment({ name: 'Race', slug })),
    );
    expect(environments.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of environments) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(EnvironmentAlreadyExistsError);
      }
    }

    const environment = await storage.getEnvironment(slug);
    const pairs = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        storage.createEnvironmentFlag({ environmentId: environment!.id, flagId: flag.id }),
      ),
    );
    expect(pairs.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of pairs) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(EnvironmentFlagAlreadyExistsError);
      }
    }

    const phases = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        storage.createRolloutPhase({
          flagId: flag.id,
          phaseNumber: 3,
          targetPercentage: 30,
          scheduledAt: later,
        }),
      ),
    );
    expect(phases.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of phases) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(RolloutPhaseAlreadyExistsError);
      }
    }
  });

  it('answers a reference to a missing flag or environment with ReferenceNotFoundError', async () => {
    const flag = await newFlag();
    const environment = await newEnvironment();
    const missing = 'no-such-id';
    const refused = async (write: Promise<unknown>, field: string) => {
      const error: unknown = await write.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(ReferenceNotFoundError);
      expect(error).toMatchObject({ field, id: missing });
    };

    await refused(
      storage.createEnvironmentFlag({ environmentId: missing, flagId: flag.id }),
      'environmentId',
    );
    await refused(
      storage.createEnvironmentFlag({ environmentId: environment.id, flagId: missing }),
      'flagId',
    );
    await refused(
      storage.createScheduledChange({ flagId: missing, changeType: 'enable', scheduledAt: later }),
      'flagId',
    );
    await refused(
      storage.createRolloutPhase({
        flagId: missing,
        phaseNumber: 1,
        targetPercentage: 1,
        scheduledAt: later,
      }),
      'flagId',
    );
    await refused(
      storage.createTimeSchedule({
        flagId: missing,
        name: 'never',
        recurrenceType: 'cron',
        cronExpression: '0 9 * * 1',
      }),
      'flagId',
    );
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'disable',
      scheduledAt: later,
    });
    await refused(storage.updateScheduledChange({ ...change, flagId: missing }), 'flagId');
    expect(await storage.getScheduledChanges(flag.id)).toEqual([change]);
  });

  it('leaves a change pending when applying it fails before the commit', async () => {
    const flag = await newFlag();
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: new Date(),
    });
    // A change type no version knows makes applyScheduledItem throw after the claim.
    await query(storage, `UPDATE ${table('scheduled_changes')} SET change_type = ? WHERE id = ?`, [
      'explode',
      change.id,
    ]);
    await expect(storage.applyScheduledChange(change.id, new Date())).rejects.toThrow(
      /unknown changeType/,
    );
    const [pending] = await storage.getScheduledChanges(flag.id);
    expect(pending).toMatchObject({ id: change.id, executed: false, executedAt: null });
    expect((await storage.getFlag(flag.key))?.version).toBe(1);
  });

  it('applies a change with the flag write: version + 1, updatedAt and executedAt now', async () => {
    const flag = await newFlag();
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'update_rollout',
      newRolloutPercentage: 75,
      scheduledAt: new Date(Date.now() - 1000),
    });
    const now = new Date();
    const applied = await storage.applyScheduledChange(change.id, now);
    const expected: Partial<FeatureFlag> = {
      version: 2,
      updatedAt: now,
      createdAt: flag.createdAt,
    };
    expect(applied).toMatchObject(expected);
    expect(applied?.rules[0].rolloutPercentage).toBe(75);
    expect(await storage.getFlag(flag.key)).toEqual(applied);
    expect(await storage.applyScheduledChange(change.id, new Date())).toBeNull();
    const [executed] = await storage.getScheduledChanges(flag.id, false);
    expect(executed).toEqual({ ...change, executed: true, executedAt: now, updatedAt: now });
  });
});

describe.each(KINDS)('scheduled changes applied by three instances at once on %s', (kind) => {
  it('apply each of 50 changes exactly once', async () => {
    const tablePrefix = uniqueName('once_') + '_';
    const connectionString = await connectionStringOf(kind);
    const first = await DatabaseFeatureFlagStorage.create({ connectionString, tablePrefix });
    // SQLite: one process, one DataSource (its writes queue); the servers: one per instance.
    const instances =
      kind === 'sqlite'
        ? [first, first, first]
        : [
            first,
            ...(await Promise.all(
              [1, 2].map(() =>
                DatabaseFeatureFlagStorage.create({ connectionString, tablePrefix }),
              ),
            )),
          ];
    try {
      const flag = await first.createFlag({
        key: 'scheduled',
        rules: [{ name: 'rollout', rolloutPercentage: 0 }],
      });
      const due = new Date(Date.now() - 60_000);
      const changes: Array<{ id: string }> = [];
      for (let i = 1; i <= 50; i++) {
        changes.push(
          await first.createScheduledChange({
            flagId: flag.id,
            changeType: i % 2 === 0 ? 'update_rollout' : 'update_value',
            newValue: i,
            newRolloutPercentage: i % 2 === 0 ? i : null,
            scheduledAt: due,
          }),
        );
      }
      const now = new Date();
      // Each instance goes through the due changes in order, one at a time, as its scheduler
      // does; the three race each other on every change.
      const perInstance = await Promise.all(
        instances.map(async (instance) => {
          const applied: Array<FeatureFlag | null> = [];
          for (const change of changes) {
            applied.push(await instance.applyScheduledChange(change.id, now));
          }
          return applied;
        }),
      );
      const results = perInstance.flat();

      expect(results.filter((result) => result !== null)).toHaveLength(50);
      const stored = await first.getFlag('scheduled');
      expect(stored?.version).toBe(51);
      expect(await first.getScheduledChanges(flag.id)).toEqual([]);
      const executed = await first.getScheduledChanges(flag.id, false);
      expect(executed.every((change) => change.executed)).toBe(true);
      // Each write started from the one before: replayed in version order, every result shows
      // the value and rollout of the latest change of each kind so far.
      const byVersion = new Map<number, { flag: FeatureFlag; change: number }>();
      results.forEach((result, index) => {
        if (result) byVersion.set(result.version, { flag: result, change: (index % 50) + 1 });
      });
      expect([...byVersion.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 2),
      );
      let value: unknown = null;
      let rollout = 0;
      for (let version = 2; version <= 51; version++) {
        const { flag: written, change } = byVersion.get(version)!;
        if (change % 2 === 0) rollout = change;
        else value = change;
        expect([written.defaultValue, written.rules[0].rolloutPercentage]).toEqual([
          value,
          rollout,
        ]);
      }
      expect(stored).toEqual(byVersion.get(51)?.flag);
    } finally {
      await Promise.all([...new Set(instances)].map((instance) => instance.close()));
    }
  }, 60_000);
});
