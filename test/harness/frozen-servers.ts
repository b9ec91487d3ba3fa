import { readdirSync, readFileSync } from 'node:fs';
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2';

/**
 * Freezing a test server (SIGSTOP): its connections stay open and nothing answers, which only
 * the modules' own timeouts can notice. These find the processes of a server the suite started
 * itself (never a shared one) and signal them.
 */

/** The pid of the redis-server at `url`, from its own INFO. */
export async function redisServerPid(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const pid = /process_id:(\d+)/.exec(await client.info('server'))?.[1];
    if (!pid) throw new Error(`redis-server at ${url} reports no process_id`);
    return Number(pid);
  } finally {
    client.disconnect();
  }
}

/**
 * The postmaster of the PostgreSQL at `url` and every process it started, postmaster first (so it
 * cannot start another backend while the others are being stopped). The postmaster is the parent
 * of the backend serving a connection of ours, looked up while that backend still exists.
 */
export async function postgresProcesses(url: string): Promise<number[]> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  let postmaster: number | undefined;
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    postmaster = parentOf(rows[0].pid);
  } finally {
    await client.end();
  }
  if (!postmaster) throw new Error('could not find the PostgreSQL postmaster in /proc');
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => parentOf(pid) === postmaster);
  return [postmaster, ...children];
}

/** mariadbd is one process; its pid file says which. */
export async function mariadbProcesses(url: string): Promise<number[]> {
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection(url);
  try {
    const [rows] = await connection.query<Array<{ file: string } & RowDataPacket>>(
      'SELECT @@pid_file AS file',
    );
    return [Number(readFileSync(rows[0].file, 'utf8').trim())];
  } finally {
    await connection.end();
  }
}

/** Sends `name` to each process; one already gone is skipped. */
export function signalAll(pids: readonly number[], name: 'SIGSTOP' | 'SIGCONT'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already.
    }
  }
}

/** The parent pid of `pid`, from /proc (Linux); `undefined` when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
