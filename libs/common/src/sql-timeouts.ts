import type { DataSource, QueryRunner, ReplicationMode } from 'typeorm';
import type { SqlDialect } from './sql-dialect';
import { assertTimeout } from './storage-options';
import { DEFAULT_STORAGE_TIMEOUT_MS, TimeoutError, withDeadline } from './timeout';

/** The bounds of the SQL connections the modules open, in milliseconds. */
export interface SqlTimeouts {
  queryTimeout: number;
  acquireTimeout: number;
}

/**
 * `queryTimeout` / `acquireTimeout` as given, defaults filled in. Checked here too, for storages
 * created without the module (`DatabaseFeatureFlagStorage.create`…).
 * @throws GatekeeperConfigError
 */
export function resolveSqlTimeouts(given: Partial<SqlTimeouts> = {}): SqlTimeouts {
  assertTimeout(given.queryTimeout, 'queryTimeout');
  assertTimeout(given.acquireTimeout, 'acquireTimeout');
  return {
    queryTimeout: given.queryTimeout ?? DEFAULT_STORAGE_TIMEOUT_MS,
    acquireTimeout: given.acquireTimeout ?? DEFAULT_STORAGE_TIMEOUT_MS,
  };
}

/**
 * How much later than the driver's or the server's own bound the client-side one fires: while
 * the server is alive its answer (PostgreSQL's statement_timeout cancel, pg's connect timeout)
 * is the cleaner failure, and the connection survives it.
 */
export const CLIENT_GRACE_MS = 100;

/** A database call that did not finish in time; the request fails fast instead of hanging. */
export class DatabaseTimeoutError extends TimeoutError {}

interface PooledDriver {
  createQueryRunner(mode: ReplicationMode): QueryRunner;
  obtainMasterConnection?(): Promise<unknown>;
  obtainSlaveConnection?(): Promise<unknown>;
}

const exempt = new WeakSet<QueryRunner>();

/** Lets one runner's statements wait as long as they must: startup schema work behind a lock. */
export function exemptFromQueryTimeout(runner: QueryRunner): void {
  exempt.add(runner);
}

/**
 * Bounds every wait on a DataSource the modules opened themselves, whatever the driver can bound
 * on its own: getting a pooled connection (`acquireTimeout`) and each statement (`queryTimeout`),
 * which also covers a request that already holds a connection when the server stops answering
 * (a SIGSTOPped or partitioned server never sends statement_timeout's cancel). A statement that
 * runs out of time rejects with a `DatabaseTimeoutError` and its connection is dropped rather
 * than pooled again, since its reply may still arrive. A connection that arrives after its
 * waiter gave up goes back to the pool.
 *
 * SQLite is left alone: better-sqlite3 runs statements synchronously, so no timer could fire
 * while one runs; its busy timeout is the bound there.
 */
export function boundDatabaseCalls(
  dataSource: DataSource,
  dialect: SqlDialect,
  { queryTimeout, acquireTimeout }: SqlTimeouts,
): void {
  if (dialect === 'sqlite') return;
  const driver = dataSource.driver as unknown as PooledDriver;
  const giveBack =
    dialect === 'postgres'
      ? (obtained: unknown) => (obtained as [unknown, () => void])[1]()
      : (obtained: unknown) => (obtained as { release(): void }).release();
  for (const method of ['obtainMasterConnection', 'obtainSlaveConnection'] as const) {
    const obtain = driver[method]?.bind(driver);
    if (!obtain) continue;
    driver[method] = () =>
      withDeadline(
        obtain(),
        acquireTimeout + CLIENT_GRACE_MS,
        () =>
          new DatabaseTimeoutError(
            `no database connection within ${acquireTimeout} ms (acquireTimeout)`,
          ),
        { onLate: giveBack },
      );
  }
  const createQueryRunner = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => boundRunner(createQueryRunner(mode), dialect, queryTimeout);
}

function boundRunner(runner: QueryRunner, dialect: SqlDialect, queryTimeout: number): QueryRunner {
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  const bounded = async (...args: unknown[]): Promise<unknown> => {
    // A released runner would open a new connection here: let TypeORM refuse instead.
    if (runner.isReleased || exempt.has(runner)) return query(...args);
    // Acquired first (bounded by acquireTimeout), so the statement's clock starts when it is sent.
    const connection: unknown = await runner.connect();
    return withDeadline(
      query(...args),
      queryTimeout + CLIENT_GRACE_MS,
      () =>
        new DatabaseTimeoutError(
          `the database did not answer within ${queryTimeout} ms (queryTimeout); ` +
            'the connection was dropped',
        ),
      { onExpire: () => drop(connection, dialect) },
    );
  };
  runner.query = bounded as QueryRunner['query'];
  return runner;
}

/** Closes a connection whose reply is overdue, so the pool never hands it out again. */
function drop(connection: unknown, dialect: SqlDialect): void {
  try {
    if (dialect === 'postgres') {
      // pg destroys the socket when a query is active, and its pool discards an ended client.
      void (connection as { end(): Promise<void> }).end().catch(() => undefined);
    } else {
      // mysql2: closes the socket and removes the connection from its pool.
      (connection as { destroy(): void }).destroy();
    }
  } catch {
    // Already closed.
  }
}
