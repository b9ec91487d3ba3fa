import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSource } from '@gatekeeper/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { createTestDatabase } from '../harness/servers';

const QUERY_TIMEOUT = 300;
/** Long enough for a loaded machine to open the whole pool at once (a password handshake each). */
const ACQUIRE_TIMEOUT = 1500;
/** The requirement's slack: a bound plus 1 s, never a tight timing. */
const SLACK_MS = 1000;
/** The pool size of the DataSources the modules open. */
const POOL_SIZE = 10;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  let error: unknown;
  try {
    await work();
  } catch (caught) {
    error = caught;
  }
  return { ms: performance.now() - started, error };
}

/**
 * `queryTimeout` / `acquireTimeout` on a live but busy server: a long statement fails after about
 * queryTimeout, a request finds no free connection after about acquireTimeout, and the pool
 * keeps serving afterwards with every connection accounted for (none leaked to a waiter that
 * gave up). The frozen-server case is database-freeze.e2e-spec.ts.
 */
describe.each([
  { kind: 'postgres' as const, sleep: 'SELECT pg_sleep(5)' },
  { kind: 'mysql' as const, sleep: 'SELECT SLEEP(5)' },
])('SQL timeouts on $kind', ({ kind, sleep }) => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource(await createTestDatabase(kind), {
      entities: [],
      queryTimeout: QUERY_TIMEOUT,
      acquireTimeout: ACQUIRE_TIMEOUT,
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('fails a statement that runs too long, then serves the next one', async () => {
    const { ms, error } = await timed(() => dataSource.query(sleep));
    // PostgreSQL cancels it itself (statement_timeout); MySQL needs the client-side bound.
    expect(String(error)).toMatch(
      /statement timeout|did not answer within 300 ms \(queryTimeout\)/,
    );
    expect(ms).toBeLessThan(QUERY_TIMEOUT + SLACK_MS);
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('fails the wait for a connection when the pool is exhausted, and leaks none', async () => {
    const hold = async (): Promise<QueryRunner[]> => {
      const runners = Array.from({ length: POOL_SIZE }, () => dataSource.createQueryRunner());
      await Promise.all(runners.map((runner) => runner.connect()));
      return runners;
    };
    const held = await hold();
    const { ms, error } = await timed(() => dataSource.query('SELECT 1'));
    expect(String(error)).toMatch(/acquireTimeout|timeout exceeded when trying to connect/);
    expect(ms).toBeLessThan(ACQUIRE_TIMEOUT + SLACK_MS);
    await Promise.all(held.map((runner) => runner.release()));

    // Every connection is back: the whole pool can be held again.
    const again = await hold();
    await Promise.all(again.map((runner) => runner.release()));
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});

describe('SQL timeouts on sqlite', () => {
  it('makes queryTimeout the busy timeout: a write waits that long for another lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gk-busy-'));
    const url = `sqlite:${join(dir, 'busy.sqlite')}`;
    const holder = await createDataSource(url, { entities: [] });
    const waiter = await createDataSource(url, { entities: [], queryTimeout: QUERY_TIMEOUT });
    try {
      await holder.query('CREATE TABLE t (x INTEGER)');
      await holder.query('BEGIN IMMEDIATE');
      const { ms, error } = await timed(() => waiter.query('INSERT INTO t VALUES (1)'));
      expect(String(error)).toMatch(/database is locked/);
      // Well before the default busy timeout (2 s) would have given up.
      expect(ms).toBeLessThan(QUERY_TIMEOUT + SLACK_MS);
      await holder.query('COMMIT');
      await waiter.query('INSERT INTO t VALUES (1)');
    } finally {
      await holder.destroy();
      await waiter.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
