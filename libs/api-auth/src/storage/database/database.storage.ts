import {
  GatekeeperConfigError,
  SqlStorage,
  uniqueViolation,
  type DatabaseConnectionOptions,
  type SupportedDatabaseType,
} from '@gatekeeper/common';
import type { DataSource, QueryResult } from 'typeorm';
import { DEFAULT_API_AUTH_TABLE_PREFIX } from '../../api-auth.constants';
import type { ApiKey } from '../../models/api-key.model';
import type { ApiKeyStorage } from '../api-key-storage.interface';
import { assertStorableApiKey, isPossibleKeyText, versionOf } from '../../api-key.validation';
import {
  ApiKeyAlreadyExistsError,
  ApiKeyNotFoundError,
  ApiKeyVersionConflictError,
} from '../storage.errors';
import { apiKeyEntities } from './api-key.entities';
import { ApiKeyColumns, statements, type Row } from './api-key.statements';
import { apiKeyMigrations } from './api-keys.table';

export interface DatabaseApiKeyStorageOptions {
  /** The table is `{tablePrefix}api_keys`. Default `''`. */
  tablePrefix?: string;
  /** Rows `listByOwner` reads per query; memory use is bounded by this, not by the owner's key count. Default 500. */
  pageSize?: number;
}

export type CreateDatabaseApiKeyStorageOptions = DatabaseApiKeyStorageOptions &
  Required<Pick<DatabaseConnectionOptions, 'connectionString'>> &
  Pick<DatabaseConnectionOptions, 'createTables' | 'queryTimeout' | 'acquireTimeout'>;

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
export class DatabaseApiKeyStorage extends SqlStorage implements ApiKeyStorage {
  private readonly pageSize: number;
  private readonly columns: ApiKeyColumns;
  private readonly sql: ReturnType<typeof statements>;

  constructor(dataSource: DataSource, options: DatabaseApiKeyStorageOptions = {}) {
    super(
      dataSource,
      options.tablePrefix ?? DEFAULT_API_AUTH_TABLE_PREFIX,
      'DatabaseApiKeyStorage',
    );
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new GatekeeperConfigError('pageSize must be a positive integer');
    }
    this.pageSize = pageSize;
    const schema = apiKeyEntities(
      dataSource.options.type as SupportedDatabaseType,
      this.tablePrefix,
    ).apiKey;
    this.columns = new ApiKeyColumns(schema);
    this.sql = statements(
      dataSource.driver.escape(schema.options.tableName!),
      this.columns,
      this.dialect,
      pageSize,
    );
  }

  /** Opens a DataSource for `connectionString` (destroyed again by `close()`) and creates the table. */
  static async create(options: CreateDatabaseApiKeyStorageOptions): Promise<DatabaseApiKeyStorage> {
    const tablePrefix = options.tablePrefix ?? DEFAULT_API_AUTH_TABLE_PREFIX;
    return SqlStorage.connect(
      options,
      (type) => apiKeyEntities(type, tablePrefix),
      (dataSource) => new DatabaseApiKeyStorage(dataSource, options),
      options.createTables,
    );
  }

  /**
   * Creates the table and its indexes unless the table exists, and upgrades a table of 0.1/0.2
   * (adds `version`, every row at 1): the shipped migrations, run directly, oldest first. Safe to
   * call on every start, and when several instances start at once.
   */
  async createTables(): Promise<void> {
    for (const Migration of apiKeyMigrations(this.tablePrefix)) {
      await this.runMigration(`${this.tablePrefix}api_keys_schema`, new Migration());
    }
  }

  getByHash(keyHash: string): Promise<ApiKey | null> {
    return this.selectOne(this.sql.selectByHash, keyHash);
  }

  getById(id: string): Promise<ApiKey | null> {
    return this.selectOne(this.sql.selectById, id);
  }

  async create(apiKey: ApiKey): Promise<ApiKey> {
    assertStorableApiKey(apiKey);
    const values = this.columns.toValues(apiKey);
    try {
      await this.query(
        this.sql.insert,
        this.columns.list.map(({ property }) => values[property]),
      );
    } catch (error) {
      const duplicate = uniqueViolation(error);
      // Not chained as `cause`: the driver's message quotes the duplicate hash.
      if (duplicate) {
        throw new ApiKeyAlreadyExistsError(duplicate.where.includes('key_hash') ? 'keyHash' : 'id');
      }
      throw error;
    }
    return this.columns.fromValues(values);
  }

  /**
   * One UPDATE applies the merge rules in the database (`COALESCE` keeps a stored revocation,
   * the `CASE` keeps the later `last_used_at`), so concurrent writers cannot undo each other.
   */
  async update(apiKey: ApiKey): Promise<ApiKey> {
    const expected = versionOf(apiKey);
    if (!isPossibleKeyText(apiKey.id)) throw new ApiKeyNotFoundError(apiKey.id);
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
      ...(expected === undefined ? [] : [expected]),
    ];
    const sql = expected === undefined ? this.sql.update : this.sql.updateVersion;
    let stored: Row | undefined;
    if (this.dialect === 'mysql') {
      // No UPDATE … RETURNING: read the row back in the same transaction, while the UPDATE's
      // row lock guarantees we see our own result.
      stored = await this.dataSource.transaction(async (manager) => {
        const { affected } = await manager.queryRunner!.query(sql, params, true);
        if (!affected) return undefined;
        const rows = await manager.query<Row[]>(this.sql.selectById, [values.id]);
        return rows[0];
      });
    } else {
      stored = (await this.query(sql, params)).records[0] as Row | undefined;
    }
    if (stored) return this.columns.fromRow(stored);
    const current = expected === undefined ? null : await this.getById(apiKey.id);
    if (current) throw new ApiKeyVersionConflictError(apiKey.id, expected!, current.version ?? 1);
    throw new ApiKeyNotFoundError(apiKey.id);
  }

  async touch(id: string, lastUsedAt: Date): Promise<void> {
    if (!isPossibleKeyText(id)) return;
    const at = this.columns.toValue('lastUsedAt', lastUsedAt);
    await this.query(this.sql.touch, [at, id, at]);
  }

  async delete(id: string): Promise<boolean> {
    if (!isPossibleKeyText(id)) return false;
    const { affected } = await this.query(this.sql.delete, [id]);
    return (affected ?? 0) > 0;
  }

  /**
   * Keyset pagination over the `(owner_id, id)` index: each page is one query for at most
   * `pageSize` rows starting after the last id seen, so memory stays flat however many keys the
   * owner has, and keys created or deleted meanwhile never shift a page.
   */
  async *listByOwner(ownerId: string): AsyncIterable<ApiKey> {
    if (!isPossibleKeyText(ownerId)) return;
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

  /**
   * Every read and delete by id, owner or hash first asks `isPossibleKeyText`: a value no key can
   * have (a NUL, which PostgreSQL refuses with a driver error, or longer than the column) is
   * simply not found, as it is on the other backends, without a query.
   */
  private async selectOne(sql: string, param: string): Promise<ApiKey | null> {
    if (!isPossibleKeyText(param)) return null;
    const { records } = await this.query(sql, [param]);
    return records.length > 0 ? this.columns.fromRow(records[0] as Row) : null;
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
