import { createDataSource, GatekeeperConfigError, withSchemaLock } from '@gatekeeper/common';
import type { DataSource, QueryResult } from 'typeorm';
import type { ApiKey } from '../../models/api-key.model';
import type { ApiKeyStorage } from '../api-key-storage.interface';
import { ApiKeyNotFoundError, DuplicateApiKeyError } from '../storage.errors';
import { apiKeyMigrations, apiKeysTableName } from './api-keys.table';

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

const COLUMNS =
  'id, name, owner_id, prefix, key_hash, scopes, metadata, created_at, expires_at, revoked_at, last_used_at';

/** A row as the drivers return it: BIGINT arrives as a string from pg, as a number elsewhere. */
interface ApiKeyRow {
  id: string;
  name: string;
  owner_id: string;
  prefix: string;
  key_hash: string;
  scopes: string;
  metadata: string;
  created_at: number | string;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  last_used_at: number | string | null;
}

const DEFAULT_PAGE_SIZE = 500;

/**
 * Keeps API keys in a SQL table (`{tablePrefix}api_keys`) through a TypeORM DataSource:
 * PostgreSQL, MySQL/MariaDB (mysql2) or SQLite (better-sqlite3).
 *
 * It speaks plain parameterised SQL, so any initialized DataSource works — including the one
 * `TypeOrmModule` gives you — without registering an entity. A DataSource handed to the
 * constructor stays yours: `close()` only destroys one opened by `DatabaseApiKeyStorage.create()`.
 */
export class DatabaseApiKeyStorage implements ApiKeyStorage {
  private readonly dialect: Dialect;
  private readonly tablePrefix: string;
  private readonly pageSize: number;
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
    this.tablePrefix = options.tablePrefix ?? '';
    this.pageSize = pageSize;
    this.sql = statements(
      dataSource.driver.escape(apiKeysTableName(this.tablePrefix)),
      dialect,
      pageSize,
    );
  }

  /** Opens a DataSource for `connectionString` (destroyed again by `close()`) and creates the table. */
  static async create(options: CreateDatabaseApiKeyStorageOptions): Promise<DatabaseApiKeyStorage> {
    const dataSource = await createDataSource(options.connectionString, { entities: [] });
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
    return records.length > 0 ? fromRow(records[0] as ApiKeyRow) : null;
  }

  async getById(id: string): Promise<ApiKey | null> {
    const { records } = await this.query(this.sql.selectById, [id]);
    return records.length > 0 ? fromRow(records[0] as ApiKeyRow) : null;
  }

  async create(apiKey: ApiKey): Promise<ApiKey> {
    const row = toRow(apiKey);
    try {
      await this.query(this.sql.insert, [
        row.id,
        row.name,
        row.owner_id,
        row.prefix,
        row.key_hash,
        row.scopes,
        row.metadata,
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
      ]);
    } catch (error) {
      const field = duplicateField(error);
      // Not chained as `cause`: the driver's message quotes the duplicate hash.
      if (field) throw new DuplicateApiKeyError(field);
      throw error;
    }
    return fromRow(row);
  }

  /**
   * One UPDATE applies the merge rules in the database (`COALESCE` keeps a stored revocation,
   * the `CASE` keeps the later `last_used_at`), so concurrent writers cannot undo each other.
   */
  async update(apiKey: ApiKey): Promise<ApiKey> {
    const row = toRow(apiKey);
    const params = [
      row.name,
      row.scopes,
      row.metadata,
      row.expires_at,
      row.revoked_at,
      row.last_used_at,
      row.last_used_at,
      row.id,
    ];
    let stored: ApiKeyRow | undefined;
    if (this.dialect === 'mysql') {
      // No UPDATE … RETURNING: read the row back in the same transaction, while the UPDATE's
      // row lock guarantees we see our own result.
      stored = await this.dataSource.transaction(async (manager) => {
        await manager.query(this.sql.update, params);
        const rows = await manager.query<ApiKeyRow[]>(this.sql.selectById, [row.id]);
        return rows[0];
      });
    } else {
      stored = (await this.query(this.sql.update, params)).records[0] as ApiKeyRow | undefined;
    }
    if (!stored) throw new ApiKeyNotFoundError(apiKey.id);
    return fromRow(stored);
  }

  async touch(id: string, lastUsedAt: Date): Promise<void> {
    const at = toMillis(lastUsedAt);
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
      for (const row of records as ApiKeyRow[]) yield fromRow(row);
      if (records.length < this.pageSize) return;
      after = (records[records.length - 1] as ApiKeyRow).id;
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

/** Every statement the storage runs, written once with `?` and numbered for PostgreSQL. */
function statements(table: string, dialect: Dialect, pageSize: number) {
  const returning = dialect === 'mysql' ? '' : ` RETURNING ${COLUMNS}`;
  const select = `SELECT ${COLUMNS} FROM ${table}`;
  const sql = {
    selectByHash: `${select} WHERE key_hash = ?`,
    selectById: `${select} WHERE id = ?`,
    insert: `INSERT INTO ${table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    // A NULL parameter leaves revoked_at as stored, and makes `last_used_at < NULL` unknown,
    // which keeps the stored last_used_at.
    update:
      `UPDATE ${table} SET name = ?, scopes = ?, metadata = ?, expires_at = ?, ` +
      'revoked_at = COALESCE(revoked_at, ?), ' +
      'last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END ' +
      `WHERE id = ?${returning}`,
    touch: `UPDATE ${table} SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
    delete: `DELETE FROM ${table} WHERE id = ?`,
    firstPage: `${select} WHERE owner_id = ? ORDER BY id LIMIT ${pageSize}`,
    nextPage: `${select} WHERE owner_id = ? AND id > ? ORDER BY id LIMIT ${pageSize}`,
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

interface WritableRow extends ApiKeyRow {
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

function toRow(apiKey: ApiKey): WritableRow {
  return {
    id: apiKey.id,
    name: apiKey.name,
    owner_id: apiKey.ownerId,
    prefix: apiKey.prefix,
    key_hash: apiKey.keyHash,
    scopes: JSON.stringify(apiKey.scopes),
    metadata: JSON.stringify(apiKey.metadata),
    created_at: toMillis(apiKey.createdAt),
    expires_at: apiKey.expiresAt ? toMillis(apiKey.expiresAt) : null,
    revoked_at: apiKey.revokedAt ? toMillis(apiKey.revokedAt) : null,
    last_used_at: apiKey.lastUsedAt ? toMillis(apiKey.lastUsedAt) : null,
  };
}

function fromRow(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    prefix: row.prefix,
    keyHash: row.key_hash,
    scopes: JSON.parse(row.scopes) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: toDate(row.expires_at),
    revokedAt: toDate(row.revoked_at),
    lastUsedAt: toDate(row.last_used_at),
  };
}

function toDate(millis: number | string | null): Date | null {
  return millis === null ? null : new Date(Number(millis));
}

/** Tolerates ISO strings from callers that did not build a Date. */
function toMillis(date: Date | string): number {
  const millis = new Date(date).getTime();
  if (Number.isNaN(millis)) throw new TypeError(`invalid date: ${String(date)}`);
  return millis;
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
