import type { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { GatekeeperConfigError, SqlStorage, type SupportedDatabaseType } from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../feature-flags.constants';
import { FeatureFlagStorageError } from '../storage.errors';
import {
  DATABASE_BACKEND,
  featureFlagEntitySchemas,
  type FeatureFlagEntitySchemas,
} from './feature-flag.entities';
import { DatabaseEnvironments } from './environments.queries';
import type { FlagTables } from './flag.queries';
import { DatabaseSchedules } from './schedules.queries';
import { DatabaseSegments } from './segments.queries';
import type { DatabaseFeatureFlagStorageOptions } from './database.options';
import { featureFlagMigrations } from './migrations/create-feature-flag-tables.migration';

/**
 * The tables under `DatabaseFeatureFlagStorage`: the entity schemas its DataSource must know, the
 * schema itself, the helpers that keep the segment, environment and schedule tables, and how a
 * write reaches any table (SQLite's single writer, row locks where the database has them). The
 * flag methods (database.storage.ts) and those helpers go through the same primitives, so those
 * rules live in one place.
 */
export abstract class DatabaseStorageBase extends SqlStorage {
  protected readonly entities: FeatureFlagEntitySchemas;
  protected readonly segments: DatabaseSegments;
  protected readonly environments: DatabaseEnvironments;
  protected readonly schedules: DatabaseSchedules;

  constructor(dataSource: DataSource, options: DatabaseFeatureFlagStorageOptions = {}) {
    super(dataSource, options.tablePrefix ?? DEFAULT_FEATURE_FLAGS_TABLE_PREFIX, DATABASE_BACKEND);
    const type = dataSource.options.type as SupportedDatabaseType;
    this.entities = featureFlagEntitySchemas(type, this.tablePrefix);
    const keys = Object.keys(this.entities) as Array<keyof FeatureFlagEntitySchemas>;
    const names = keys.map((key) => this.entities[key].options.name);
    if (!names.every((name) => dataSource.hasMetadata(name))) {
      throw new GatekeeperConfigError(
        `the DataSource does not know the feature-flag entities for tablePrefix ` +
          `'${this.tablePrefix}': add ...Object.values(featureFlagEntities('${type}', ` +
          `'${this.tablePrefix}')) to its entities`,
      );
    }
    const tables: FlagTables = {
      entities: this.entities,
      manager: () => this.open().manager,
      write: (work) => this.write(() => work(this.open().manager)),
      transaction: (work, isolation) => this.transaction(work, isolation),
      lockForUpdate: (query) => this.lockForUpdate(query),
    };
    this.segments = new DatabaseSegments(tables);
    this.environments = new DatabaseEnvironments(tables);
    this.schedules = new DatabaseSchedules(tables);
  }

  /**
   * Creates the tables that do not exist yet and upgrades those of an older version (0.1/0.2
   * tables get their `version` column) with the shipped migrations, keeping every row. Teams that
   * manage their schema with TypeORM migrations add `featureFlagMigrations(prefix)` to theirs instead.
   */
  async createTables(): Promise<void> {
    this.open();
    const lock = `${this.tablePrefix}feature_flags_schema`;
    for (const Migration of featureFlagMigrations(this.tablePrefix)) {
      await this.runMigration(lock, new Migration());
    }
  }

  protected transaction<T>(
    work: (manager: EntityManager) => Promise<T>,
    isolation?: 'READ COMMITTED',
  ): Promise<T> {
    // SQLite runs one writer at a time and offers no isolation levels to choose from.
    return this.write(() =>
      isolation && this.dialect !== 'sqlite'
        ? this.open().transaction(isolation, work)
        : this.open().transaction(work),
    );
  }

  protected open(): DataSource {
    if (this.closed) throw new FeatureFlagStorageError('the feature flag storage is closed');
    return this.dataSource;
  }

  /** SELECT … FOR UPDATE; SQLite has no row locks (and only one writer at a time anyway). */
  protected lockForUpdate<T extends ObjectLiteral>(
    query: SelectQueryBuilder<T>,
  ): SelectQueryBuilder<T> {
    return this.dialect === 'sqlite' ? query : query.setLock('pessimistic_write');
  }
}
