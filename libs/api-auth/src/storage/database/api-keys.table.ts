import {
  addColumnIfMissing,
  assertTablePrefix,
  DIALECT_COLUMNS,
  dropColumnIfPresent,
  requireDriver,
  sqlDialect,
} from '@gatekeeper/common';
import type { DataSourceOptions, MigrationInterface, QueryRunner, Table } from 'typeorm';
import { DEFAULT_API_AUTH_TABLE_PREFIX } from '../../api-auth.constants';

/** `{tablePrefix}api_keys`, after checking the prefix is safe to splice into SQL. */
export function apiKeysTableName(tablePrefix: string): string {
  assertTablePrefix(tablePrefix);
  return `${tablePrefix}api_keys`;
}

/** Text compares byte for byte on every database (see `DialectColumns.exactText`). */
export function exactText(type: DataSourceOptions['type']) {
  return DIALECT_COLUMNS[sqlDialect(type, 'DatabaseApiKeyStorage')].exactText;
}

/**
 * The table, in TypeORM's driver-neutral schema language so one definition serves PostgreSQL,
 * MySQL/MariaDB and SQLite.
 *
 * Timestamps are epoch milliseconds in BIGINT columns: every driver, DataSource `timezone` setting
 * and server time zone reads back the same instant, and "later of two dates" is plain integer
 * comparison inside an UPDATE. `scopes` and `metadata` are JSON text.
 */
function apiKeysTable(tablePrefix: string, driver: DataSourceOptions['type']): Table {
  const typeorm = requireDriver<typeof import('typeorm')>('typeorm', 'database');
  const name = apiKeysTableName(tablePrefix);
  const exact = exactText(driver);
  const text = (column: string, nullable = false) => ({
    name: column,
    type: 'text',
    isNullable: nullable,
    ...exact,
  });
  const string = (column: string, length: number) => ({
    name: column,
    type: 'varchar',
    length: String(length),
    ...exact,
  });
  const millis = (column: string, nullable: boolean) => ({
    name: column,
    type: 'bigint',
    isNullable: nullable,
  });
  return new typeorm.Table({
    name,
    columns: [
      { ...string('id', 255), isPrimary: true },
      text('name'),
      string('owner_id', 255),
      string('prefix', 64),
      string('key_hash', 128),
      text('scopes'),
      text('metadata'),
      millis('created_at', false),
      millis('expires_at', true),
      millis('revoked_at', true),
      millis('last_used_at', true),
    ],
    indices: [
      // The hot path: one lookup per request.
      { name: `UQ_${name}_key_hash`, columnNames: ['key_hash'], isUnique: true },
      // (owner_id, id) serves listByOwner's keyset pages without sorting the owner's rows.
      { name: `IDX_${name}_owner_id`, columnNames: ['owner_id', 'id'] },
    ],
  });
}

/** Shipped migration for the default table name `api_keys`. */
export class CreateApiKeysTable1767225600000 implements MigrationInterface {
  /** What TypeORM records in its migrations table; it must end in the 13-digit timestamp. */
  readonly name: string = 'CreateApiKeysTable1767225600000';
  protected readonly tablePrefix: string = '';

  /** Idempotent: a table created earlier by `createTables` is left as it is. */
  async up(queryRunner: QueryRunner): Promise<void> {
    const table = apiKeysTable(this.tablePrefix, queryRunner.connection.options.type);
    await queryRunner.createTable(table, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable(apiKeysTableName(this.tablePrefix), true);
  }
}

/**
 * 0.3: adds `version` (optimistic concurrency) to the API-key table of 0.1/0.2. Existing keys start
 * at version 1; no row is rewritten. Safe to run again (also what `createTables: true` runs at
 * startup).
 */
export class AddApiKeyVersion1796083200000 implements MigrationInterface {
  readonly name: string = 'AddApiKeyVersion1796083200000';
  protected readonly tablePrefix: string = '';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = apiKeysTableName(this.tablePrefix);
    await addColumnIfMissing(queryRunner, table, 'version', 'integer NOT NULL DEFAULT 1');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnIfPresent(queryRunner, apiKeysTableName(this.tablePrefix), 'version');
  }
}

/**
 * The migrations of the API-key table for `tablePrefix`, oldest first, for a DataSource's
 * `migrations` option: `migrations: [...apiKeyMigrations('myapp_')]`.
 */
export function apiKeyMigrations(
  tablePrefix: string = DEFAULT_API_AUTH_TABLE_PREFIX,
): Array<new () => MigrationInterface> {
  apiKeysTableName(tablePrefix);
  if (tablePrefix === DEFAULT_API_AUTH_TABLE_PREFIX) {
    return [CreateApiKeysTable1767225600000, AddApiKeyVersion1796083200000];
  }
  // Named per prefix, so two prefixes in one database are two distinct migrations.
  class CreatePrefixedApiKeysTable extends CreateApiKeysTable1767225600000 {
    override readonly name = `CreateApiKeysTable_${tablePrefix}1767225600000`;
    protected override readonly tablePrefix = tablePrefix;
  }
  class AddPrefixedApiKeyVersion extends AddApiKeyVersion1796083200000 {
    override readonly name = `AddApiKeyVersion_${tablePrefix}1796083200000`;
    protected override readonly tablePrefix = tablePrefix;
  }
  return [CreatePrefixedApiKeysTable, AddPrefixedApiKeyVersion];
}
