import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chownRecursive,
  findBinary,
  freePort,
  freePorts,
  makeTempDir,
  removeDir,
  runCommand,
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
  /** `redis+cluster://…`: a Redis Cluster of 3 primaries (no replicas). */
  redisCluster: string;
  /**
   * `redis+sentinel://…`: a primary, one replica and 3 Sentinels (quorum 2) of its own, for the
   * one test that crashes the primary. Nothing else may rely on it.
   */
  redisFailover: string;
  postgres: string;
  mysql: string;
}

export const URL_ENV = {
  redis: 'TEST_REDIS_URL',
  redisSentinel: 'TEST_REDIS_SENTINEL_URL',
  redisCluster: 'TEST_REDIS_CLUSTER_URL',
  redisFailover: 'TEST_REDIS_FAILOVER_URL',
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
    redisCluster: read('redisCluster'),
    redisFailover: read('redisFailover'),
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
const REDIS_CLI = { names: ['redis-cli'], aptPackage: 'redis-tools' };
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
  if (kinds.includes('redis')) [REDIS, REDIS_CLI].forEach((b) => findBinary(b, URL_ENV.redis));
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

/** Throwaway data: no snapshots, no append-only file. */
function redisArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
}

/** A redis-server with `args` that answers PING on `port`, restartable like the others. */
async function startRedisProcess(
  name: string,
  port: number,
  args: string[],
  label = 'redis',
): Promise<ServerHandle> {
  const binary = findBinary(REDIS, URL_ENV.redis);
  const dir = makeTempDir(label);
  const allArgs = [...redisArgs(port, dir), ...args];
  const launch = async (): Promise<SpawnedServer> => {
    const server = spawnServer(name, binary, allArgs, { logFile: join(dir, 'redis.log') });
    await waitFor(server, () => tcpAnswers(port, 'PING\r\n', '+PONG'));
    return server;
  };
  return restartable(`redis://127.0.0.1:${port}/0`, dir, launch, await launch());
}

/** Several servers as one handle: stopped, started and closed together. */
function serverGroup(url: string, members: ServerHandle[]): ServerHandle {
  const each = (action: (member: ServerHandle) => Promise<void>) => async () => {
    await Promise.all(members.map(action));
  };
  return {
    url,
    stop: each((member) => member.stop()),
    start: each((member) => member.start()),
    close: each((member) => member.close()),
  };
}

/** Waits until the server on `port` answers `command` with a reply containing every `expected`. */
async function waitForReply(
  name: string,
  port: number,
  command: string,
  expected: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answers = await Promise.all(
      expected.map((text) => tcpAnswers(port, `${command}\r\n`, text)),
    );
    if (answers.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} on port ${port} never answered ${command} with ${expected.join(', ')}`);
}

/**
 * A Redis Cluster of `primaries` primaries, each with `replicas` replicas (the shared one has none:
 * a 2-core machine runs the suites beside it), each node with its own temp dir and cluster bus
 * port. Resolves once every node reports cluster_state:ok and every replica is in sync.
 */
export async function startRedisCluster(primaries = 3, replicas = 0): Promise<ServerHandle> {
  const cli = findBinary(REDIS_CLI, URL_ENV.redisCluster);
  const count = primaries * (1 + replicas);
  const ports = await freePorts(count * 2);
  const nodes: ServerHandle[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const [port, busPort] = [ports[2 * i], ports[2 * i + 1]];
      nodes.push(
        await startRedisProcess(
          `redis-server (cluster node ${i + 1})`,
          port,
          [
            '--cluster-enabled',
            'yes',
            // Redis' default bus port (port + 10000) may be taken, or above 65535.
            '--cluster-port',
            String(busPort),
            '--cluster-config-file',
            'nodes.conf',
            // A replica takes over this long after its primary stops answering (plus an election).
            '--cluster-node-timeout',
            replicas > 0 ? '1000' : '2000',
          ],
          'cluster',
        ),
      );
    }
    const addresses = ports.filter((_, i) => i % 2 === 0).map((port) => `127.0.0.1:${port}`);
    await runCommand(cli, [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    for (const [i, address] of addresses.entries()) {
      const port = Number(address.split(':')[1]);
      await waitForReply(`cluster node ${i + 1}`, port, 'CLUSTER INFO', ['cluster_state:ok']);
      if (i >= primaries) {
        await waitForReply(`cluster node ${i + 1}`, port, 'INFO replication', [
          'master_link_status:up',
        ]);
      }
    }
    return serverGroup(`redis+cluster://${addresses.join(',')}`, nodes);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.close()));
    throw error;
  }
}

/**
 * A primary, one replica and three Sentinels (quorum 2) that fail the primary over about a second
 * after it stops answering. Resolves once the replica is in sync and every Sentinel knows the
 * replica and the two other Sentinels, so that a failover can start at once.
 */
export async function startRedisFailover(master = 'gatekeeper-failover'): Promise<ServerHandle> {
  const binary = findBinary(REDIS, URL_ENV.redisFailover);
  const [primaryPort, replicaPort, ...sentinelPorts] = await freePorts(5);
  // A full sync straight over the socket, without the default 5 s wait for more replicas.
  const sync = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];
  const members: ServerHandle[] = [];
  try {
    members.push(await startRedisProcess('redis-server (primary)', primaryPort, sync, 'primary'));
    members.push(
      await startRedisProcess(
        'redis-server (replica)',
        replicaPort,
        [...sync, '--replicaof', '127.0.0.1', String(primaryPort)],
        'replica',
      ),
    );
    await waitForReply('replica', replicaPort, 'INFO replication', ['master_link_status:up']);
    // Online for the primary too (after the replica's first ACK): only then do writes wait for it.
    const port = String(replicaPort);
    await waitForReply('primary', primaryPort, 'ROLE', [`$${port.length}\r\n${port}\r\n`]);
    // Started after the replica is in sync: a Sentinel learns about replicas from the primary's
    // INFO, which it asks for at once and then only every 10 s.
    for (const port of sentinelPorts) {
      const dir = makeTempDir('sentinel');
      const config = join(dir, 'sentinel.conf');
      writeFileSync(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${master} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${master} 1000`,
          `sentinel failover-timeout ${master} 5000`,
          `sentinel parallel-syncs ${master} 1`,
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
      members.push(restartable(`redis://127.0.0.1:${port}`, dir, launch, await launch()));
    }
    for (const port of sentinelPorts) {
      await waitForReply('sentinel', port, `SENTINEL MASTER ${master}`, [
        'num-slaves\r\n$1\r\n1\r\n',
        'num-other-sentinels\r\n$1\r\n2\r\n',
      ]);
    }
    const sentinels = sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
    return serverGroup(`redis+sentinel://${sentinels}/${master}/0`, members);
  } catch (error) {
    await Promise.all(members.map((member) => member.close()));
    throw error;
  }
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
