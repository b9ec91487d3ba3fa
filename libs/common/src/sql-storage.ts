import type { DataSource, EntitySchema, MigrationInterface } from 'typeorm';
import { GatekeeperConfigError } from './errors';
import { withSchemaLock } from './schema-lock';
import {
  createDataSource,
  parseConnectionString,
  type SupportedDatabaseType,
} from './sql-connection';
import { sqlDialect, type SqlDialect } from './sql-dialect';
import { exemptFromQueryTimeout } from './sql-timeouts';
import { assertTablePrefix, type DatabaseConnectionOptions } from './storage-options';

/** What `SqlStorage.connect` opens: a connection string, with the connection's timeouts. */
export type SqlConnectionTarget =
  | string
  | (Required<Pick<DatabaseConnectionOptions, 'connectionString'>> &
      Pick<DatabaseConnectionOptions, 'queryTimeout' | 'acquireTimeout'>);

/**
 * What the database storages of both modules share: their DataSource and its dialect, the table
 * prefix, whether they opened the DataSource themselves (then `close()` destroys it), the health
 * check and table creation.
 */
export abstract class SqlStorage {
  protected readonly dialect: SqlDialect;
  protected readonly tablePrefix: string;
  protected closed = false;
  private ownsDataSource = false;
  /** SQLite only: the tail of the queue of writes (see `write`). */
  private writes: Promise<unknown> = Promise.resolve();

  protected constructor(
    protected readonly dataSource: DataSource,
    tablePrefix: string,
    what: string,
  ) {
    this.dialect = sqlDialect(dataSource.options.type, what);
    assertTablePrefix(tablePrefix);
    this.tablePrefix = tablePrefix;
    // A storage never initializes a DataSource it was handed: that belongs to its owner.
    if (!dataSource.isInitialized) {
      throw new GatekeeperConfigError(
        'dataSource must be initialized: await dataSource.initialize() first ' +
          '(TypeOrmModule does it for you)',
      );
    }
  }

  /**
   * Runs a write. On SQLite TypeORM has a single connection, where a second transaction cannot
   * start while one is open and a statement issued meanwhile would join the open one: writes
   * wait their turn. Servers get a connection per transaction from the pool and need no queue.
   */
  protected write<T>(work: () => Promise<T>): Promise<T> {
    if (this.dialect !== 'sqlite') return work();
    const result = this.writes.then(work);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /**
   * The body of a storage's `create({ connectionString })`: opens a DataSource with the entity
   * schemas of its database type (`entities` gives them by name), builds the storage on it
   * (which then owns it) and creates the tables unless told not to. Should any step fail, the
   * DataSource is destroyed again.
   */
  protected static async connect<S extends SqlStorage>(
    target: SqlConnectionTarget,
    entities: (type: SupportedDatabaseType) => object,
    build: (dataSource: DataSource) => S,
    createTables = true,
  ): Promise<S> {
    const { connectionString, queryTimeout, acquireTimeout } =
      typeof target === 'string' ? { connectionString: target } : target;
    // Parsed first for the database type: the entity schemas depend on the dialect.
    const { type } = parseConnectionString(connectionString);
    const dataSource = await createDataSource(connectionString, {
      entities: Object.values(entities(type as SupportedDatabaseType)) as EntitySchema[],
      queryTimeout,
      acquireTimeout,
    });
    try {
      const storage = build(dataSource);
      storage.ownsDataSource = true;
      if (createTables) await storage.createTables();
      return storage;
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
  }

  /** Creates the tables that do not exist yet; safe on every start, by several instances at once. */
  abstract createTables(): Promise<void>;

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

  /**
   * Runs the shipped migration's `up` (which skips what exists): once when several instances
   * start together (a schema lock), all or nothing where DDL is transactional (PostgreSQL,
   * SQLite). Records nothing in a migrations table: teams that manage their schema with TypeORM
   * migrations add the shipped ones to theirs instead.
   */
  protected async runMigration(lockName: string, migration: MigrationInterface): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    // Waiting for another instance's schema lock may legitimately outlast queryTimeout.
    exemptFromQueryTimeout(runner);
    const unbounded = this.dialect === 'postgres';
    try {
      if (unbounded) await runner.query('SET statement_timeout = 0');
      await withSchemaLock(runner, lockName, async () => {
        await runner.startTransaction();
        try {
          await migration.up(runner);
          await runner.commitTransaction();
        } catch (error) {
          await runner.rollbackTransaction();
          throw error;
        }
      });
    } finally {
      // Back to the connection's own statement_timeout before the pool hands it out again.
      if (unbounded) await runner.query('RESET statement_timeout').catch(() => undefined);
      await runner.release();
    }
  }
}
