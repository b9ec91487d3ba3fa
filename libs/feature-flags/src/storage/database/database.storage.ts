import type {
  DataSource,
  EntityManager,
  EntitySchema,
  ObjectLiteral,
  SelectQueryBuilder,
} from 'typeorm';
import {
  createDataSource,
  GatekeeperConfigError,
  parseConnectionString,
  withSchemaLock,
} from '@gatekeeper/common';
import { DEFAULT_FEATURE_FLAGS_TABLE_PREFIX } from '../../feature-flags.constants';
import {
  buildFlag,
  buildOverride,
  isOverrideExpired,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FlagOverride,
} from '../../models/feature-flag.model';
import type { FeatureFlagStorage } from '../feature-flag-storage.interface';
import {
  FeatureFlagStorageError,
  FlagAlreadyExistsError,
  FlagNotFoundError,
} from '../storage.errors';
import { sqlDialect, type SqlDialect, type SupportedDatabaseType } from './database.dialect';
import {
  featureFlagEntitySchemas,
  type FeatureFlagEntitySchemas,
  type FlagRow,
  type OverrideRow,
  type RuleRow,
  type VariantRow,
} from './feature-flag.entities';
import { CreateFeatureFlagTables1767225600000 } from './migrations/create-feature-flag-tables.migration';

/** Options of `new DatabaseFeatureFlagStorage(dataSource, options)`. */
export interface DatabaseFeatureFlagStorageOptions {
  /**
   * Prepended to the four table names; must match the prefix of the entities registered on the
   * DataSource. Default `'ff_'`.
   */
  tablePrefix?: string;
}

/** Options of `DatabaseFeatureFlagStorage.create()`. */
export interface CreateDatabaseFeatureFlagStorageOptions extends DatabaseFeatureFlagStorageOptions {
  /** `postgres://…`, `mysql://…` / `mariadb://…`, `sqlite:<file>` or `sqlite::memory:`. */
  connectionString: string;
  /** Create the tables when missing (idempotent, safe with several instances). Default `true`. */
  createTables?: boolean;
}

/**
 * Flags in SQL tables through TypeORM: PostgreSQL, MySQL/MariaDB or SQLite (better-sqlite3).
 *
 * `DatabaseFeatureFlagStorage.create({ connectionString })` opens (and on `close()` destroys) its own
 * DataSource. `new DatabaseFeatureFlagStorage(dataSource)` shares one you already have, for instance
 * TypeOrmModule's; it must list `featureFlagEntities(type, prefix)` among its entities and is never
 * destroyed by the storage.
 *
 * A flag is one row plus its rules and variants in two child tables, written in one transaction;
 * reads load them in three queries whatever the number of flags.
 */
export class DatabaseFeatureFlagStorage implements FeatureFlagStorage {
  private readonly entities: FeatureFlagEntitySchemas;
  private readonly dialect: SqlDialect;
  private readonly tablePrefix: string;
  private ownsDataSource = false;
  private closed = false;
  /** SQLite only: the tail of the queue of writes (see `write`). */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    options: DatabaseFeatureFlagStorageOptions = {},
  ) {
    this.tablePrefix = options.tablePrefix ?? DEFAULT_FEATURE_FLAGS_TABLE_PREFIX;
    if (!dataSource.isInitialized) {
      throw new GatekeeperConfigError(
        'the DataSource given to DatabaseFeatureFlagStorage is not initialized: ' +
          'await dataSource.initialize() first (TypeOrmModule does this for you)',
      );
    }
    const type = dataSource.options.type as SupportedDatabaseType;
    this.dialect = sqlDialect(type);
    this.entities = featureFlagEntitySchemas(type, this.tablePrefix);
    const { flag, rule, variant, override } = this.entities;
    const names = [flag, rule, variant, override].map((schema) => schema.options.name);
    if (!names.every((name) => dataSource.hasMetadata(name))) {
      throw new GatekeeperConfigError(
        `the DataSource does not know the feature-flag entities for tablePrefix ` +
          `'${this.tablePrefix}': add ...Object.values(featureFlagEntities('${type}', ` +
          `'${this.tablePrefix}')) to its entities`,
      );
    }
  }

  /** Opens a DataSource for `connectionString`, creates the tables unless told not to. */
  static async create(
    options: CreateDatabaseFeatureFlagStorageOptions,
  ): Promise<DatabaseFeatureFlagStorage> {
    const tablePrefix = options.tablePrefix ?? DEFAULT_FEATURE_FLAGS_TABLE_PREFIX;
    // Parsed first for the database type: the entity schemas depend on the dialect.
    const { type } = parseConnectionString(options.connectionString);
    const entities = featureFlagEntitySchemas(type as SupportedDatabaseType, tablePrefix);
    const dataSource = await createDataSource(options.connectionString, {
      entities: Object.values(entities),
    });
    try {
      const storage = new DatabaseFeatureFlagStorage(dataSource, { tablePrefix });
      storage.ownsDataSource = true;
      if (options.createTables ?? true) await storage.createTables();
      return storage;
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
  }

  /**
   * Creates the tables that do not exist yet by running the shipped migrations' DDL, which is
   * idempotent. Does not record anything in a migrations table: teams that manage their schema
   * with TypeORM migrations add `featureFlagMigrations(prefix)` to theirs instead.
   */
  async createTables(): Promise<void> {
    const migration = new CreateFeatureFlagTables1767225600000(this.tablePrefix);
    const queryRunner = this.open().createQueryRunner();
    try {
      await withSchemaLock(queryRunner, `${this.tablePrefix}feature_flags_schema`, () =>
        migration.up(queryRunner),
      );
    } finally {
      await queryRunner.release();
    }
  }

  async getFlag(key: string): Promise<FeatureFlag | null> {
    return (await this.getFlags([key])).get(key) ?? null;
  }

  async getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return new Map();
    const flags = await this.loadFlags('f.key IN (:...keys)', { keys: unique });
    return new Map(flags.map((flag) => [flag.key, flag]));
  }

  async getAllActiveFlags(): Promise<FeatureFlag[]> {
    return this.loadFlags('f.status = :status', { status: 'active' });
  }

  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    const row = await this.overrideQuery(
      this.open().manager,
      flagId,
      entityType,
      entityId,
    ).getOne();
    return row && !isOverrideExpired(row) ? toOverride(row) : null;
  }

  async createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    const flag = buildFlag(input);
    await this.transaction(async (manager) => {
      try {
        await manager.insert<ObjectLiteral>(this.entities.flag, flagRow(flag));
      } catch (error) {
        // The unique index decides, so two concurrent creates cannot both win.
        if (isUniqueViolation(error)) throw new FlagAlreadyExistsError(flag.key);
        throw error;
      }
      await this.insertChildren(manager, flag);
    });
    return flag;
  }

  async updateFlag(flag: FeatureFlag): Promise<FeatureFlag> {
    return this.transaction(async (manager) => {
      // Locking the row serialises concurrent updates of one flag, so their child rows never mix.
      const stored = await this.lockForUpdate(
        manager
          .createQueryBuilder(this.entities.flag, 'f')
          .where('f.key = :key', { key: flag.key }),
      ).getOne();
      if (!stored) throw new FlagNotFoundError(flag.key);
      const updated = buildFlag({ ...flag, id: stored.id, createdAt: stored.createdAt });
      const { id, ...changes } = flagRow(updated);
      await manager.update<ObjectLiteral>(this.entities.flag, { id }, changes);
      await manager.delete(this.entities.rule, { flagId: id });
      await manager.delete(this.entities.variant, { flagId: id });
      await this.insertChildren(manager, updated);
      return updated;
    });
  }

  async deleteFlag(key: string): Promise<boolean> {
    // Rules, variants and overrides go with it: ON DELETE CASCADE.
    const result = await this.write(() => this.open().manager.delete(this.entities.flag, { key }));
    return (result.affected ?? 0) > 0;
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    return this.transaction(async (manager) => {
      const { flagId, entityType, entityId } = input;
      const stored = await this.lockForUpdate(
        this.overrideQuery(manager, flagId, entityType, entityId),
      ).getOne();
      const live = stored && !isOverrideExpired(stored) ? stored : undefined;
      // An upsert keeps the identity of the live override it replaces.
      const override = buildOverride({
        ...input,
        id: live?.id ?? input.id,
        createdAt: live?.createdAt ?? input.createdAt,
      });
      // An upsert rather than an insert: a concurrent create of the same entity may have
      // inserted since the read (there was no row to lock); the last writer wins.
      await manager.upsert<ObjectLiteral>(this.entities.override, override, [
        'flagId',
        'entityType',
        'entityId',
      ]);
      return override;
    });
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    const result = await this.write(() =>
      this.open().manager.delete(this.entities.override, { flagId, entityType, entityId }),
    );
    return (result.affected ?? 0) > 0;
  }

  async healthCheck(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Destroys the DataSource if `create()` opened it; a DataSource you passed in stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.write(() => this.open().transaction(work));
  }

  /**
   * Runs a write. On SQLite TypeORM has a single connection, where a second transaction cannot
   * start while one is open and a statement issued meanwhile would join the open one: writes
   * wait their turn. Servers get a connection per transaction from the pool and need no queue.
   */
  private write<T>(work: () => Promise<T>): Promise<T> {
    if (this.dialect !== 'sqlite') return work();
    const result = this.writes.then(work);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private open(): DataSource {
    if (this.closed) throw new FeatureFlagStorageError('the feature flag storage is closed');
    return this.dataSource;
  }

  /**
   * Flags matching `where` (on alias `f`) with their rules and variants: three queries however
   * many flags match, the child queries filtering through a join rather than a list of ids.
   */
  private async loadFlags(where: string, parameters: ObjectLiteral): Promise<FeatureFlag[]> {
    const manager = this.open().manager;
    const flags = await manager
      .createQueryBuilder(this.entities.flag, 'f')
      .where(where, parameters)
      .orderBy('f.key')
      .getMany();
    if (flags.length === 0) return [];
    const children = <T extends RuleRow | VariantRow>(schema: EntitySchema<T>) =>
      manager
        .getRepository(schema)
        .createQueryBuilder('c')
        .innerJoin(this.entities.flag.options.name, 'f', 'f.id = c.flagId')
        .where(where, parameters)
        .orderBy('c.position')
        .getMany();
    const [rules, variants] = await Promise.all([
      children(this.entities.rule),
      children(this.entities.variant),
    ]);
    const rulesByFlag = groupByFlag(rules);
    const variantsByFlag = groupByFlag(variants);
    return flags.map((row) => ({
      ...row,
      rules: (rulesByFlag.get(row.id) ?? []).map(
        ({ flagId: _flagId, position: _position, flag: _flag, ...rule }) => rule,
      ),
      variants: (variantsByFlag.get(row.id) ?? []).map(
        ({ flagId: _flagId, position: _position, flag: _flag, ...variant }) => variant,
      ),
    }));
  }

  private overrideQuery(
    manager: EntityManager,
    flagId: string,
    entityType: string,
    entityId: string,
  ): SelectQueryBuilder<OverrideRow> {
    return manager
      .createQueryBuilder(this.entities.override, 'o')
      .where('o.flagId = :flagId', { flagId })
      .andWhere('o.entityType = :entityType', { entityType })
      .andWhere('o.entityId = :entityId', { entityId });
  }

  /** SELECT … FOR UPDATE; SQLite has no row locks (and only one writer at a time anyway). */
  private lockForUpdate<T extends ObjectLiteral>(
    query: SelectQueryBuilder<T>,
  ): SelectQueryBuilder<T> {
    return this.dialect === 'sqlite' ? query : query.setLock('pessimistic_write');
  }

  private async insertChildren(manager: EntityManager, flag: FeatureFlag): Promise<void> {
    const rules: RuleRow[] = flag.rules.map((rule, position) => ({
      ...rule,
      flagId: flag.id,
      position,
    }));
    const variants: VariantRow[] = flag.variants.map((variant, position) => ({
      ...variant,
      flagId: flag.id,
      position,
    }));
    // One multi-row INSERT per table. (Here and at the other writes, `<ObjectLiteral>` spares the
    // compiler TypeORM's deep-partial type of the recursive JsonValue, which it cannot expand.)
    if (rules.length > 0) await manager.insert<ObjectLiteral>(this.entities.rule, rules);
    if (variants.length > 0) await manager.insert<ObjectLiteral>(this.entities.variant, variants);
  }
}

function flagRow(flag: FeatureFlag): FlagRow {
  const { rules: _rules, variants: _variants, ...row } = flag;
  return row;
}

/** Child rows by flag id, in the order the query returned them (by position). */
function groupByFlag<T extends { flagId: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.flagId);
    if (group) group.push(row);
    else groups.set(row.flagId, [row]);
  }
  return groups;
}

function toOverride(row: FlagOverride & { flag?: unknown }): FlagOverride {
  const { flag: _flag, ...override } = row;
  return override;
}

/** PostgreSQL, MySQL/MariaDB and SQLite each report a unique-key violation their own way. */
function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { driverError?: unknown } | null)?.driverError ?? error;
  const { code, errno } = (cause ?? {}) as { code?: unknown; errno?: unknown };
  return (
    code === '23505' ||
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
