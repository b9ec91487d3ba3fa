import type { DataSource, QueryRunner } from 'typeorm';

/** SQLite: the tail of each DataSource's queue of schema work (see `withSchemaLock`). */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs schema work (CREATE TABLE …) while holding a database-wide named lock, so instances that
 * start together create the tables once instead of racing each other's DDL. PostgreSQL uses a
 * session advisory lock, MySQL/MariaDB `GET_LOCK`. SQLite serialises writers across processes
 * already; within one, a DataSource has a single connection on which a second transaction cannot
 * start while one is open, so its schema work waits its turn.
 */
export async function withSchemaLock<T>(
  runner: QueryRunner,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  const type = runner.connection.options.type;
  if (type === 'postgres') {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  }
  if (type === 'mysql' || type === 'mariadb') {
    const [row] = (await runner.query('SELECT GET_LOCK(?, 60) AS acquired', [name])) as Array<{
      acquired: number | string | null;
    }>;
    if (Number(row?.acquired) !== 1) throw new Error(`timed out waiting for schema lock ${name}`);
    try {
      return await work();
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  }
  const tail = sqliteQueues.get(runner.connection) ?? Promise.resolve();
  const result = tail.then(work, work);
  sqliteQueues.set(
    runner.connection,
    result.catch(() => undefined),
  );
  return result;
}
