import {
  createDataSource,
  GatekeeperConfigError,
  parseConnectionString,
  withSchemaLock,
  type SupportedDatabaseType,
} from '@gatekeeper/common';
import type { DataSource, EntitySchema, QueryResult, ValueTransformer } from 'typeorm';
import { DEFAULT_API_AUTH_TABLE_PREFIX } from '../../api-auth.constants';
import type { ApiKey } from '../../models/api-key.model';
import type { ApiKeyStorage } from '../api-key-storage.interface';
import { ApiKeyAlreadyExistsError, ApiKeyNotFoundError } from '../storage.errors';
import { apiKeyEntities } from './api-key.entities';
import { apiKeyMigrations } from './api-keys.table';

export interface DatabaseApiKeyStorageOptions {
  /** The table is `{tablePrefix}api_keys`. Default `''`. */
  tablePrefix?: string;
  /** Rows `listByOwner` reads per query; memory use is bounded by this, not by the owner's key count. Default 500. */
  pageSize?: number;
}

export interface CreateDatabaseApiKeyStorageOptions extends DatabaseApiKeyStorageOptions {
  /** `postgres://…`, `mysql://…`, `mariadb://…`, `sqlite:<file>` or `sqlite::memory:`. */
  connectionString: string;
  /** Create the table and its indexes if missing. Default `true`. */
  createTables?: boolean;
}

type Dialect = 'postgres' | 'mysql' | 'sqlite';

const DIALECTS: Partial<Record<DataSource['options']['type'], Dialect>> = {
  postgres: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  'better-sqlite3': 'sqlite',
};

/** A row as the driver returns it, by column name. */
type Row = Record<string, unknown>;

const DEFAULT_PAGE_SIZE = 500;

/**
 * Keeps API keys in a SQL table (`{tablePrefix}api_keys`) through a TypeORM DataSource:
 * PostgreSQL, MySQL/MariaDB (mysql2) or SQLite (better-sqlite3).
 *
 * Columns, their names and their conversions come from `apiKeyEntities()`, the schema you can also
 * register to query the table through a repository. The statements themselves are plain
 * parameterised SQL (an update merges in the database, in one statement), so any initialized
 * DataSource works — including the one `TypeOrmModule` gives you — whether or not the entity is
 * registered on it. A DataSource handed to the constructor stays yours: `close()` only destroys
 * one opened by `DatabaseApiKeyStorage.create()`.
 */
export class DatabaseApiKeyStorage implements ApiKeyStorage {
  private readonly dialect: Dialect;
  private readonly tablePrefix: string;
  private readonly pageSize: number;
  private readonly columns: ApiKeyColumns;
  private readonly sql: ReturnType<typeof statements>;
  private ownsDataSource = false;

  constructor(
    private readonly dataSource: DataSource,
    options: DatabaseApiKeyStorageOptions = {},
  ) {
    const dialect = DIALECTS[dataSource.options.type];
    if (!dialect) {
      throw new GatekeeperConfigError(
        `DatabaseApiKeyStorage supports postgres, mysql, mariadb and better-sqlite3 DataSources (got '${dataSource.options.type}')`,
      );
    }
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new GatekeeperConfigError('pageSize must be a positive integer');
    }
    this.dialect = dialect;
    this.tablePrefix = options.tablePrefix ?? DEFAULT_API_AUTH_TABLE_PREFIX;
    this.pageSize = pageSize;
    const schema = apiKeyEntities(
      dataSource.options.type as SupportedDatabaseType,
      this.tablePrefix,
    ).apiKey;
    this.columns = new ApiKeyColumns(schema);
    this.sql = statements(
      dataSource.driver.escape(schema.options.tableName!),
      this.columns,
      dialect,
      pageSize,
    );
  }

  /** Opens a DataSource for `connectionString` (destroyed again by `close()`) and creates the table. */
  static async create(options: CreateDatabaseApiKeyStorageOptions): Promise<DatabaseApiKeyStorage> {
    // Parsed first for the database type: the entity schema depends on the dialect.
    const { type } = parseConnectionString(options.connectionString);
    const entities = apiKeyEntities(
      type as SupportedDatabaseType,
      options.tablePrefix ?? DEFAULT_API_AUTH_TABLE_PREFIX,
    );
    const dataSource = await createDataSource(options.connectionString, {
      entities: Object.values(entities),
    });
    try {
      const storage = new DatabaseApiKeyStorage(dataSource, options);
      storage.ownsDataSource = true;
      if (options.createTables ?? true) await storage.createTables();
      return storage;
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
  }

  /**
   * Creates the table and its indexes unless the table exists: the shipped migration, run
   * directly. Safe to call on every start, and when several instances start at once.
   */
  async createTables(): Promise<void> {
    const [Migration] = apiKeyMigrations(this.tablePrefix);
    const runner = this.dataSource.createQueryRunner();
    try {
      // The lock makes instances starting together create the table once; the transaction (where
      // DDL is transactional: PostgreSQL, SQLite) makes table and indexes appear together.
      await withSchemaLock(runner, `${this.tablePrefix}api_keys_schema`, async () => {
        await runner.startTransaction();
        try {
          await new Migration().up(runner);
          await runner.commitTransaction();
        } catch (error) {
          await runner.rollbackTransaction();
          throw error;
        }
      });
    } finally {
      await runner.release();
    }
  }

  async getByHash(keyHash: string): Promise<ApiKey | null> {
    const { records } = await this.query(this.sql.selectByHash, [keyHash]);
    return records.length > 0 ? this.columns.fromRow(records[0] as Row) : null;
  }

  async getById(id: string): Promise<ApiKey | null> {
    const { records } = await this.query(this.sql.selectById, [id]);
    return records.length > 0 ? this.columns.fromRow(records[0] as Row) : null;
  }

  async create(apiKey: ApiKey): Promise<ApiKey> {
    const values = this.columns.toValues(apiKey);
    try {
      await this.query(
        this.sql.insert,
        this.columns.list.map(({ property }) => values[property]),
      );
    } catch (error) {
      const field = duplicateField(error);
      // Not chained as `cause`: the driver's message quotes the duplicate hash.
      if (field) throw new ApiKeyAlreadyExistsError(field);
      throw error;
    }
    return this.columns.fromValues(values);
  }

  /**
   * One UPDATE applies the merge rules in the database (`COALESCE` keeps a stored revocation,
   * the `CASE` keeps the later `last_used_at`), so concurrent writers cannot undo each other.
   */
  async update(apiKey: ApiKey): Promise<ApiKey> {
    const values = this.columns.toValues(apiKey);
    const params = [
      values.name,
      values.scopes,
      values.metadata,
      values.expiresAt,
      values.revokedAt,
      values.lastUsedAt,
      values.lastUsedAt,
      values.id,
    ];
    let stored: Row | undefined;
    if (this.dialect === 'mysql') {
      // No UPDATE … RETURNING: read the row back in the same transaction, while the UPDATE's
      // row lock guarantees we see our own result.
      stored = await this.dataSource.transaction(async (manager) => {
        await manager.query(this.sql.update, params);
        const rows = await manager.query<Row[]>(this.sql.selectById, [values.id]);
        return rows[0];
      });
    } else {
      stored = (await this.query(this.sql.update, params)).records[0] as Row | undefined;
    }
    if (!stored) throw new ApiKeyNotFoundError(apiKey.id);
    return this.columns.fromRow(stored);
  }

  async touch(id: string, lastUsedAt: Date): Promise<void> {
    const at = this.columns.toValue('lastUsedAt', lastUsedAt);
    await this.query(this.sql.touch, [at, id, at]);
  }

  async delete(id: string): Promise<boolean> {
    const { affected } = await this.query(this.sql.delete, [id]);
    return (affected ?? 0) > 0;
  }

  /**
   * Keyset pagination over the `(owner_id, id)` index: each page is one query for at most
   * `pageSize` rows starting after the last id seen, so memory stays flat however many keys the
   * owner has, and keys created or deleted meanwhile never shift a page.
   */
  async *listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    let after: string | undefined;
    for (;;) {
      const { records } =
        after === undefined
          ? await this.query(this.sql.firstPage, [ownerId])
          : await this.query(this.sql.nextPage, [ownerId, after]);
      for (const row of records as Row[]) yield this.columns.fromRow(row);
      if (records.length < this.pageSize) return;
      after = (records[records.length - 1] as Row)[this.columns.name('id')] as string;
    }
  }

  async healthCheck(): Promise<boolean> {
    try {
      await this.query('SELECT 1', []);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private async query(sql: string, params: unknown[]): Promise<QueryResult> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await runner.query(sql, params, true);
    } finally {
      await runner.release();
    }
  }
}

/**
 * The columns of `apiKeyEntities()`' schema: property, column name and conversion, in schema order.
 * Rows are converted with the schema's own transformers, so the storage and a repository of the
 * schema read and write the same values.
 */
class ApiKeyColumns {
  readonly list: ReadonlyArray<{
    property: keyof ApiKey;
    column: string;
    transformer: ValueTransformer | undefined;
  }>;
  private readonly byProperty: ReadonlyMap<keyof ApiKey, ApiKeyColumns['list'][number]>;

  constructor(schema: EntitySchema<ApiKey>) {
    this.list = Object.entries(schema.options.columns).map(([property, options]) => ({
      property: property as keyof ApiKey,
      column: options?.name ?? property,
      transformer: options?.transformer as ValueTransformer | undefined,
    }));
    this.byProperty = new Map(this.list.map((entry) => [entry.property, entry]));
  }

  /** The column name of a property. */
  name(property: keyof ApiKey): string {
    return this.byProperty.get(property)!.column;
  }

  /** The comma-separated column names, in schema order. */
  get names(): string {
    return this.list.map(({ column }) => column).join(', ');
  }

  toValue(property: keyof ApiKey, value: unknown): unknown {
    const transformer = this.byProperty.get(property)!.transformer;
    return transformer ? transformer.to(value) : value;
  }

  /** The key's values as stored, by property. */
  toValues(apiKey: ApiKey): Record<keyof ApiKey, unknown> {
    const values = {} as Record<keyof ApiKey, unknown>;
    for (const { property } of this.list)
      values[property] = this.toValue(property, apiKey[property]);
    return values;
  }

  fromValues(values: Record<keyof ApiKey, unknown>): ApiKey {
    const apiKey = {} as Record<keyof ApiKey, unknown>;
    for (const { property, transformer } of this.list) {
      const value = values[property];
      apiKey[property] = transformer ? transformer.from(value) : value;
    }
    return apiKey as unknown as ApiKey;
  }

  fromRow(row: Row): ApiKey {
    const values = {} as Record<keyof ApiKey, unknown>;
    for (const { property, column } of this.list) values[property] = row[column];
    return this.fromValues(values);
  }
}

/** Every statement the storage runs, written once with `?` and numbered for PostgreSQL. */
function statements(table: string, columns: ApiKeyColumns, dialect: Dialect, pageSize: number) {
  const c = (property: keyof ApiKey) => columns.name(property);
  const returning = dialect === 'mysql' ? '' : ` RETURNING ${columns.names}`;
  const select = `SELECT ${columns.names} FROM ${table}`;
  const placeholders = columns.list.map(() => '?').join(', ');
  const lastUsedAt = c('lastUsedAt');
  const sql = {
    selectByHash: `${select} WHERE ${c('keyHash')} = ?`,
    selectById: `${select} WHERE ${c('id')} = ?`,
    insert: `INSERT INTO ${table} (${columns.names}) VALUES (${placeholders})`,
    // A NULL parameter leaves revoked_at as stored, and makes `last_used_at < NULL` unknown,
    // which keeps the stored last_used_at.
    update:
      `UPDATE ${table} SET ${c('name')} = ?, ${c('scopes')} = ?, ${c('metadata')} = ?, ` +
      `${c('expiresAt')} = ?, ${c('revokedAt')} = COALESCE(${c('revokedAt')}, ?), ` +
      `${lastUsedAt} = CASE WHEN ${lastUsedAt} IS NULL OR ${lastUsedAt} < ? THEN ? ELSE ${lastUsedAt} END ` +
      `WHERE ${c('id')} = ?${returning}`,
    touch:
      `UPDATE ${table} SET ${lastUsedAt} = ? ` +
      `WHERE ${c('id')} = ? AND (${lastUsedAt} IS NULL OR ${lastUsedAt} < ?)`,
    delete: `DELETE FROM ${table} WHERE ${c('id')} = ?`,
    firstPage: `${select} WHERE ${c('ownerId')} = ? ORDER BY ${c('id')} LIMIT ${pageSize}`,
    nextPage:
      `${select} WHERE ${c('ownerId')} = ? AND ${c('id')} > ? ` +
      `ORDER BY ${c('id')} LIMIT ${pageSize}`,
  };
  if (dialect !== 'postgres') return sql;
  const numbered = (text: string) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  };
  return Object.fromEntries(
    Object.entries(sql).map(([name, text]) => [name, numbered(text)]),
  ) as typeof sql;
}

/** Which unique field an INSERT collided on, or `undefined` if the failure is something else. */
function duplicateField(error: unknown): 'id' | 'keyHash' | undefined {
  const driverError = (error as { driverError?: DriverError } | null)?.driverError;
  const code = driverError?.code;
  const isDuplicate =
    code === '23505' || // PostgreSQL unique_violation
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE';
  if (!isDuplicate) return undefined;
  // Look only where each driver names the index or column, never at the quoted duplicate value:
  // PostgreSQL's `constraint`, MySQL's "… for key 'UQ_api_keys_key_hash'", SQLite's
  // "UNIQUE constraint failed: api_keys.key_hash".
  const message = driverError?.message ?? '';
  const where =
    code === '23505'
      ? (driverError?.constraint ?? '')
      : code === 'ER_DUP_ENTRY'
        ? (/for key '([^']*)'$/.exec(message)?.[1] ?? '')
        : message;
  return where.includes('key_hash') ? 'keyHash' : 'id';
}

/** The fields of pg, mysql2 and better-sqlite3 errors that name a violated constraint. */
interface DriverError {
  code?: string;
  message?: string;
  constraint?: string;
}
