import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chownRecursive,
  findBinary,
  freePort,
  makeTempDir,
  removeDir,
  runSetup,
  serviceAccount,
  spawnServer,
  stopServer,
  tcpAnswers,
  waitFor,
  type SpawnedServer,
} from './processes';

/**
 * Real, throwaway servers for the test suites. The Jest global setup starts one of each and
 * publishes their URLs through the environment; fault tests start private ones they may stop.
 */

export interface ServerHandle {
  url: string;
  /** Stops the server, keeping its port and data so `start()` brings the same server back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

export interface TestUrls {
  redis: string;
  redisSentinel: string;
  postgres: string;
  mysql: string;
}

export const URL_ENV = {
  redis: 'TEST_REDIS_URL',
  redisSentinel: 'TEST_REDIS_SENTINEL_URL',
  postgres: 'TEST_POSTGRES_URL',
  mysql: 'TEST_MYSQL_URL',
} as const satisfies Record<keyof TestUrls, string>;

/** Connection URLs of the shared servers (set by the global setup, or given by the user). */
export function testUrls(): TestUrls {
  const read = (key: keyof TestUrls): string => {
    const value = process.env[URL_ENV[key]];
    if (!value) throw new Error(`${URL_ENV[key]} is not set: run the tests with \`npm test\``);
    return value;
  };
  return {
    redis: read('redis'),
    redisSentinel: read('redisSentinel'),
    postgres: read('postgres'),
    mysql: read('mysql'),
  };
}

/** A name no other suite uses: Redis key prefixes, table prefixes, database names. */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A fresh, empty database on the shared server, so suites never see each other's tables. */
export async function createTestDatabase(kind: 'postgres' | 'mysql'): Promise<string> {
  const name = uniqueName('gk_');
  const url = new URL(testUrls()[kind]);
  if (kind === 'postgres') {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
  } else {
    const mysql = await import('mysql2/promise');
    const connection = await mysql.createConnection(url.toString());
    try {
      await connection.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    } finally {
      await connection.end();
    }
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/** Debian keeps PostgreSQL's server binaries in a versioned directory off PATH; newest first. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'));
}

const REDIS = { names: ['redis-server'], aptPackage: 'redis-server' };
const POSTGRES = {
  names: ['postgres'],
  dirs: postgresBinDirs,
  aptPackage: 'postgresql',
};
const INITDB = { ...POSTGRES, names: ['initdb'] };
const MARIADB = { names: ['mariadbd', 'mysqld'], aptPackage: 'mariadb-server' };
const MARIADB_INSTALL_DB = {
  names: ['mariadb-install-db', 'mysql_install_db'],
  aptPackage: 'mariadb-server',
};

/**
 * Installs (as root) or checks the binaries the run needs, one after another (apt-get cannot run
 * twice at once), so a missing package fails the run before any server starts.
 */
export function ensureServerBinaries(kinds: Array<'redis' | 'postgres' | 'mysql'>): void {
  if (kinds.includes('redis')) findBinary(REDIS, URL_ENV.redis);
  if (kinds.includes('postgres'))
    [POSTGRES, INITDB].forEach((b) => findBinary(b, URL_ENV.postgres));
  if (kinds.includes('mysql'))
    [MARIADB, MARIADB_INSTALL_DB].forEach((b) => findBinary(b, URL_ENV.mysql));
}

/**
 * Wraps "start a process, wait until it answers" into a handle that can stop and restart the same
 * server on the same port and data directory.
 */
function restartable(
  url: string,
  dir: string,
  launch: () => Promise<SpawnedServer>,
  first: SpawnedServer,
): ServerHandle {
  let current: SpawnedServer | undefined = first;
  return {
    url,
    async stop() {
      if (current) await stopServer(current);
      current = undefined;
    },
    async start() {
      current ??= await launch();
    },
    async close() {
      if (current) await stopServer(current);
      current = undefined;
      removeDir(dir);
    },
  };
}

export async function startRedisServer(options: { password?: string } = {}): Promise<ServerHandle> {
  const binary = findBinary(REDIS, URL_ENV.redis);
  const dir = makeTempDir('redis');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.password) args.push('--requirepass', options.password);
  args.push('--dir', dir);
  const launch = async (): Promise<SpawnedServer> => {
    const server = spawnServer('redis-server', binary, args, { logFile: join(dir, 'redis.log') });
    await waitFor(server, () =>
      tcpAnswers(
        port,
        options.password ? `AUTH ${options.password}\r\nPING\r\n` : 'PING\r\n',
        '+PONG',
      ),
    );
    return server;
  };
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return restartable(`redis://${auth}127.0.0.1:${port}/0`, dir, launch, await launch());
}

/** A Sentinel watching the Redis at `redisHost:redisPort` as master `master`. */
export async function startRedisSentinel(
  redisHost: string,
  redisPort: number,
  master = 'gatekeeper',
): Promise<ServerHandle> {
  const binary = findBinary(REDIS, URL_ENV.redisSentinel);
  const dir = makeTempDir('sentinel');
  const port = await freePort();
  const config = join(dir, 'sentinel.conf');
  // Sentinel rewrites its own config file, so it lives in the temp dir.
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${master} ${redisHost} ${redisPort} 1`,
      `sentinel down-after-milliseconds ${master} 5000`,
      '',
    ].join('\n'),
  );
  const launch = async (): Promise<SpawnedServer> => {
    const server = spawnServer('redis-sentinel', binary, [config, '--sentinel'], {
      logFile: join(dir, 'sentinel.log'),
    });
    await waitFor(server, () => tcpAnswers(port, 'PING\r\n', '+PONG'));
    return server;
  };
  return restartable(`redis+sentinel://127.0.0.1:${port}/${master}/0`, dir, launch, await launch());
}

const PG_PASSWORD = 'gk-test-pw';

export async function startPostgresServer(): Promise<ServerHandle> {
  const postgres = findBinary(POSTGRES, URL_ENV.postgres);
  const initdb = findBinary(INITDB, URL_ENV.postgres);
  const account = serviceAccount('postgres');
  const dir = makeTempDir('pg');
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  chownRecursive(dir, account);
  runSetup(
    initdb,
    [
      '-D',
      data,
      '-U',
      'postgres',
      '--pwfile',
      pwfile,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ],
    account,
  );
  const port = await freePort();
  // Durability is irrelevant for throwaway data; these settings make DDL-heavy suites much faster.
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ];
  const url = `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${port}/postgres`;
  const launch = async (): Promise<SpawnedServer> => {
    const server = spawnServer('postgres', postgres, args, {
      logFile: join(dir, 'postgres.log'),
      account,
      stopSignal: 'SIGINT',
    });
    await waitFor(server, () => pgAnswers(url));
    return server;
  };
  return restartable(url, dir, launch, await launch());
}

async function pgAnswers(url: string): Promise<boolean> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const MYSQL_USER = 'gatekeeper';
const MYSQL_PASSWORD = 'gk-test-pw';

export async function startMariadbServer(): Promise<ServerHandle> {
  const mariadbd = findBinary(MARIADB, URL_ENV.mysql);
  const installDb = findBinary(MARIADB_INSTALL_DB, URL_ENV.mysql);
  const account = serviceAccount('mysql');
  const dir = makeTempDir('maria');
  const data = join(dir, 'data');
  const socket = join(dir, 'mysql.sock');
  const user = account ? 'mysql' : undefined;
  chownRecursive(dir, account);
  runSetup(installDb, [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...(user ? [`--user=${user}`] : []),
  ]);
  chownRecursive(dir, account);
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'mariadb.pid')}`,
    '--skip-log-bin',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--max-connections=300',
    ...(user ? [`--user=${user}`] : []),
  ];
  const launch = async (): Promise<SpawnedServer> => {
    const server = spawnServer('mariadbd', mariadbd, args, { logFile: join(dir, 'mariadb.log') });
    await waitFor(server, () => mysqlAnswers({ socketPath: socket, user: 'root' }));
    return server;
  };
  const server = await launch();
  const mysql = await import('mysql2/promise');
  const root = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    await root.query(`CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}'`);
    await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'%' WITH GRANT OPTION`);
    await root.query('CREATE DATABASE gatekeeper CHARACTER SET utf8mb4');
  } finally {
    await root.end();
  }
  const url = `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:${port}/gatekeeper`;
  return restartable(url, dir, launch, server);
}

async function mysqlAnswers(options: { socketPath: string; user: string }): Promise<boolean> {
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({ ...options, connectTimeout: 1000 });
  try {
    await connection.query('SELECT 1');
    return true;
  } finally {
    await connection.end().catch(() => undefined);
  }
}
