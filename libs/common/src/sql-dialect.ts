import type { ColumnType, DataSourceOptions, ValueTransformer } from 'typeorm';
import { GatekeeperConfigError } from './errors';

/** The SQL families the database storages support; everything else about a driver is TypeORM's. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

/** @throws GatekeeperConfigError for a DataSource of a database the storages do not support. */
export function sqlDialect(type: DataSourceOptions['type'], what: string): SqlDialect {
  switch (type) {
    case 'postgres':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
      return 'mysql';
    case 'better-sqlite3':
      return 'sqlite';
    default:
      throw new GatekeeperConfigError(
        `${what} supports postgres, mysql, mariadb and better-sqlite3 DataSources (got '${type}')`,
      );
  }
}

export interface DialectColumns {
  /** JSON documents of any size (a 1 MB default value must fit; MySQL TEXT stops at 64 KB). */
  json: ColumnType;
  timestamp: ColumnType;
  /** Millisecond precision where the type takes one (MySQL DATETIME defaults to seconds). */
  timestampPrecision: number | undefined;
  double: ColumnType;
  /**
   * For keys and ids, which compare byte for byte: MySQL's default collations compare case- and
   * accent-insensitively, which would make "Café" and "cafe" (or owners 'Alice' and 'alice') one.
   */
  exactText: { charset?: string; collation?: string };
}

/**
 * Column types per dialect, shared by entity schemas and migrations so that both describe the
 * same tables (tests check that TypeORM sees no difference between them).
 */
export const DIALECT_COLUMNS: Readonly<Record<SqlDialect, DialectColumns>> = {
  postgres: {
    json: 'text',
    timestamp: 'timestamptz',
    timestampPrecision: undefined,
    double: 'double precision',
    exactText: {},
  },
  mysql: {
    json: 'longtext',
    timestamp: 'datetime',
    timestampPrecision: 3,
    double: 'double',
    exactText: { charset: 'utf8mb4', collation: 'utf8mb4_bin' },
  },
  sqlite: {
    json: 'text',
    timestamp: 'datetime',
    timestampPrecision: undefined,
    double: 'double',
    exactText: {},
  },
};

/**
 * JSON values are stored as JSON text on every dialect: native JSON columns differ in what they
 * give back (MySQL hands a top-level string such as `"123"` to TypeORM, which parses it again into
 * a number; PostgreSQL jsonb reorders object keys). Text round-trips exactly.
 */
export const JSON_TEXT: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? undefined : JSON.stringify(value)),
  from: (text: unknown) => (typeof text === 'string' ? (JSON.parse(text) as unknown) : null),
};

/** The fields of pg, mysql2 and better-sqlite3 errors that tell a violated constraint. */
interface DriverError {
  code?: unknown;
  errno?: unknown;
  message?: string;
  constraint?: string;
}

/** The driver's error inside a TypeORM QueryFailedError, or `error` itself. */
function driverError(error: unknown): DriverError | null | undefined {
  return ((error as { driverError?: unknown } | null)?.driverError ?? error) as
    DriverError | null | undefined;
}

/**
 * When `error` (a TypeORM QueryFailedError or a driver error) is a unique-key violation, where the
 * driver names the violated index or column — PostgreSQL's `constraint`, MySQL's "… for key 'x'",
 * SQLite's "UNIQUE constraint failed: t.c" — else `undefined`. Never the duplicate value itself:
 * messages quote it, and it may be a secret's hash.
 */
export function uniqueViolation(error: unknown): { where: string } | undefined {
  const cause = driverError(error);
  const code = cause?.code;
  if (code === '23505') return { where: cause?.constraint ?? '' };
  if (code === 'ER_DUP_ENTRY' || cause?.errno === 1062) {
    return { where: /for key '([^']*)'$/.exec(cause?.message ?? '')?.[1] ?? '' };
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return { where: cause?.message ?? '' };
  }
  return undefined;
}

/**
 * Whether `error` is a write that referenced a missing parent row (a foreign-key violation on
 * insert or update). SQLite does not say which key, so neither does this: ask the database which
 * parent is missing when a table has several.
 */
export function foreignKeyViolation(error: unknown): boolean {
  const cause = driverError(error);
  return (
    cause?.code === '23503' ||
    cause?.code === 'ER_NO_REFERENCED_ROW_2' ||
    cause?.errno === 1452 ||
    cause?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
  );
}

/** Statements are written once with `?` placeholders; PostgreSQL numbers them (`$1`, `$2`…). */
export function placeholders(sql: string, dialect: SqlDialect): string {
  if (dialect !== 'postgres') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
