import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { assertDriverInstalled, requireDriver } from './driver';
import { GatekeeperConfigError } from './errors';
import { describeError, redactSecrets } from './redact';
import { sqlDialect } from './sql-dialect';
import { boundDatabaseCalls, resolveSqlTimeouts, type SqlTimeouts } from './sql-timeouts';

/** The TypeORM `type` values (DataSource options) the database backends support. */
export type SupportedDatabaseType = 'postgres' | 'mysql' | 'mariadb' | 'better-sqlite3';

const EXPECTED =
  'expected postgres://user:password@host:5432/db, mysql://user:password@host:3306/db, ' +
  'sqlite:<file> or sqlite::memory:';

/**
 * Maps a connection string onto TypeORM options, checking that the driver package is installed.
 * Pools fail fast when the server is away so requests fall back instead of hanging: the driver
 * side of `queryTimeout` / `acquireTimeout` (default 2 s each); `createDataSource` adds the
 * client-side bounds the drivers lack.
 */
export function parseConnectionString(
  connectionString: string,
  optionName = 'connectionString',
  timeouts: Partial<SqlTimeouts> = {},
): DataSourceOptions {
  const { queryTimeout, acquireTimeout } = resolveSqlTimeouts(timeouts);
  const fail = (why: string): never => {
    throw new GatekeeperConfigError(
      `${optionName} ${JSON.stringify(redactSecrets(connectionString))} is not valid: ${why}; ${EXPECTED}`,
    );
  };
  const scheme = /^([a-z0-9+]+):/i.exec(connectionString)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      checkServerUrl(connectionString, fail);
      assertDriverInstalled('pg', 'database (PostgreSQL)');
      return {
        type: 'postgres',
        url: connectionString,
        extra: {
          // pg-pool: both the wait for a free client and opening a new one.
          connectionTimeoutMillis: acquireTimeout,
          // Sent at connection start: the server cancels a statement that runs longer.
          statement_timeout: queryTimeout,
          max: 10,
        },
      };
    case 'mysql':
    case 'mariadb':
      checkServerUrl(connectionString, fail);
      assertDriverInstalled('mysql2', `database (${scheme === 'mysql' ? 'MySQL' : 'MariaDB'})`);
      return {
        type: scheme,
        url: connectionString.replace(/^mariadb:/i, 'mysql:'),
        // mysql2 bounds only the handshake; the pool wait and statements are bounded client side.
        connectTimeout: acquireTimeout,
        // DATETIME has no zone: read and write it as UTC, whatever the server's or Node's zone.
        timezone: 'Z',
        extra: { connectionLimit: 10 },
      };
    case 'sqlite':
      assertDriverInstalled('better-sqlite3', 'database (SQLite)');
      return {
        type: 'better-sqlite3',
        database: sqliteFile(connectionString, fail),
        // The busy timeout: how long a statement waits for another process's lock.
        timeout: queryTimeout,
      };
    default:
      return fail('unknown scheme');
  }
}

function checkServerUrl(connectionString: string, fail: (why: string) => never): void {
  let parsed: URL;
  try {
    parsed = new URL(connectionString);
  } catch {
    return fail('cannot be parsed as a URL');
  }
  if (!parsed.hostname) fail('host is missing');
}

function sqliteFile(connectionString: string, fail: (why: string) => never): string {
  // Accept sqlite:file.db, sqlite:./data/x.db, sqlite:///abs/path.db and sqlite::memory:.
  const path = connectionString.slice('sqlite:'.length).replace(/^\/\//, '');
  if (!path) fail('the file name is missing');
  if (path === ':memory:') return path;
  mkdirSync(dirname(resolve(path)), { recursive: true });
  return path;
}

export interface CreateDataSourceOptions extends Partial<SqlTimeouts> {
  entities: MixedList<string | EntitySchema | (new () => unknown)>;
  optionName?: string;
}

/**
 * Opens and initializes a TypeORM DataSource for a connection string, every wait on it bounded
 * by `queryTimeout` and `acquireTimeout` (see `boundDatabaseCalls`). The caller owns it and must
 * `destroy()` it. Connection errors are rethrown with credentials scrubbed.
 */
export async function createDataSource(
  connectionString: string,
  { entities, optionName, ...given }: CreateDataSourceOptions,
): Promise<DataSource> {
  const timeouts = resolveSqlTimeouts(given);
  const options = parseConnectionString(connectionString, optionName, timeouts);
  const typeorm = requireDriver<typeof import('typeorm')>('typeorm', 'database');
  const dataSource = new typeorm.DataSource({
    ...options,
    entities,
    synchronize: false,
    logging: false,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new Error(
      `Could not connect to the database at ${redactSecrets(connectionString)}: ${describeError(error)}`,
    );
  }
  boundDatabaseCalls(dataSource, sqlDialect(options.type, 'createDataSource'), timeouts);
  return dataSource;
}
