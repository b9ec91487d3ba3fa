import { Logger } from '@nestjs/common';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { requireDriver } from './driver';
import { GatekeeperConfigError } from './errors';
import { describeError, redactSecrets } from './redact';
import { DEFAULT_STORAGE_TIMEOUT_MS } from './timeout';

const EXPECTED =
  'expected redis://[user:password@]host[:port][/db], rediss://… (TLS), ' +
  'redis+sentinel://[:password@]host:port,host:port/<master>[/<db>] or ' +
  'redis+cluster://[user:password@]host:port,host:port (rediss+… for TLS)';

/** What the modules accept as their Redis: one server (maybe Sentinel-managed) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** A host and port of a multi-host URL (Sentinels, cluster seed nodes). */
export interface RedisAddress {
  host: string;
  port: number;
}

/** Where a Redis URL points, as ioredis options. */
export type RedisTarget =
  | { kind: 'server'; options: RedisOptions }
  | {
      kind: 'cluster';
      /** Seed nodes: ioredis discovers the others with CLUSTER SLOTS. */
      nodes: RedisAddress[];
      /** What every node connection uses: credentials and TLS. */
      nodeOptions: RedisOptions;
    };

export interface ConnectRedisOptions {
  /** Shown by CLIENT LIST; helps operators tell our connections apart. */
  connectionName?: string;
  /** Names the option in error messages ("redisUrl"). */
  optionName?: string;
}

/** True for an ioredis `Cluster` (checked by its flag: the class may come from another copy). */
export function isRedisCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** True when `url` names a Redis Cluster (`redis+cluster://`, `rediss+cluster://`). */
export function isRedisClusterUrl(url: string | undefined): boolean {
  return typeof url === 'string' && /^rediss?\+cluster:\/\//i.test(url.trim());
}

/**
 * Turns a Redis URL into ioredis options. Beyond what ioredis parses itself it understands
 * Sentinel and Cluster URLs and rejects malformed input with a message that never repeats the
 * password.
 */
export function parseRedisUrl(url: string, optionName = 'redisUrl'): RedisTarget {
  const fail = (why: string): never => {
    throw new GatekeeperConfigError(
      `${optionName} ${JSON.stringify(redactSecrets(url))} is not valid: ${why}; ${EXPECTED}`,
    );
  };
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    return { kind: 'server', options: parseServerUrl(url, scheme, fail) };
  }
  if (scheme === 'redis+sentinel' || scheme === 'rediss+sentinel') {
    return { kind: 'server', options: parseSentinelUrl(url, fail) };
  }
  if (scheme === 'redis+cluster' || scheme === 'rediss+cluster') return parseClusterUrl(url, fail);
  return fail('unknown scheme');
}

function parseServerUrl(url: string, scheme: string, fail: (why: string) => never): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('cannot be parsed as a URL');
  }
  if (!parsed.hostname) fail('host is missing');
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parseDb(parsed.pathname.slice(1), fail),
    tls: scheme === 'rediss' ? { servername: parsed.hostname } : undefined,
  };
}

function parseSentinelUrl(url: string, fail: (why: string) => never): RedisOptions {
  const { addresses, username, password, path, tls } = parseMultiHostUrl(url, 26379, fail);
  const [master, db, extra] = path.split('/');
  if (!master) fail('the master name is missing');
  if (extra !== undefined && extra !== '') fail('unexpected path after the db number');
  return {
    sentinels: addresses,
    name: decodeURIComponent(master),
    db: parseDb(db ?? '', fail),
    username,
    password,
    tls: tls ? {} : undefined,
  };
}

function parseClusterUrl(url: string, fail: (why: string) => never): RedisTarget {
  const { addresses, username, password, path, tls } = parseMultiHostUrl(url, 6379, fail);
  // A cluster has database 0 only; accept it spelled out, like the other URL forms allow.
  if (path !== '' && path !== '0') fail('a Redis Cluster has no db number other than 0');
  return {
    kind: 'cluster',
    nodes: addresses,
    nodeOptions: { username, password, tls: tls ? {} : undefined },
  };
}

/** `scheme://[user[:password]@]host[:port],host[:port]…[/path]`, which WHATWG URL cannot parse. */
function parseMultiHostUrl(
  url: string,
  defaultPort: number,
  fail: (why: string) => never,
): {
  addresses: RedisAddress[];
  username?: string;
  password?: string;
  path: string;
  tls: boolean;
} {
  const rest = url.slice(url.indexOf('://') + 3);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? '' : authority.slice(0, at);
  const addresses = authority
    .slice(at + 1)
    .split(',')
    .map((entry) => {
      const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry.trim());
      if (!match) return fail(`bad address ${JSON.stringify(entry)}`);
      return {
        host: match[1].replace(/^\[(.*)\]$/, '$1'),
        port: match[2] ? Number(match[2]) : defaultPort,
      };
    });
  const colon = userInfo.indexOf(':');
  const username = colon === -1 ? userInfo : userInfo.slice(0, colon);
  const password = colon === -1 ? '' : userInfo.slice(colon + 1);
  return {
    addresses,
    username: username ? decodeURIComponent(username) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
    path: slash === -1 ? '' : rest.slice(slash + 1),
    tls: url.toLowerCase().startsWith('rediss+'),
  };
}

function parseDb(text: string, fail: (why: string) => never): number {
  if (text === '') return 0;
  if (!/^\d{1,5}$/.test(text)) fail(`db must be a number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Bounded waits every connection gets, whether to one server or to each cluster node. */
const FAIL_FAST = {
  maxRetriesPerRequest: 1,
  connectTimeout: 5000,
  // A command with no reply fails instead of hanging the request (the SQL bound's default too).
  commandTimeout: DEFAULT_STORAGE_TIMEOUT_MS,
} satisfies RedisOptions;

const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 2000);

/**
 * After a Sentinel failover the old primary may come back as a replica: a write that reaches it is
 * refused with READONLY, and the connection is dropped so the next one asks the Sentinels again.
 * The failover detector also drops it as soon as a Sentinel announces the switch.
 */
const SENTINEL_FAILOVER = {
  failoverDetector: true,
  reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  sentinelCommandTimeout: DEFAULT_STORAGE_TIMEOUT_MS,
} satisfies RedisOptions;

/**
 * Opens an ioredis client that fails fast while the server is away (no offline queue: a request
 * gets an error at once and the caller falls back) and reconnects in the background. Resolves once
 * the server answers, so a wrong URL fails startup instead of the first request. A
 * `redis+cluster://` URL gives a `Cluster` with the same bounds on every node.
 * The caller owns the client and must `quit()` it.
 */
export async function connectRedisClient(
  url: string,
  { connectionName, optionName = 'redisUrl' }: ConnectRedisOptions = {},
): Promise<RedisClient> {
  const target = parseRedisUrl(url, optionName);
  const ioredis = requireDriver<{
    Redis: new (options: RedisOptions) => Redis;
    Cluster: new (nodes: RedisAddress[], options: ClusterOptions) => Cluster;
  }>('ioredis', 'redis');
  const client: RedisClient =
    target.kind === 'cluster'
      ? new ioredis.Cluster(target.nodes, {
          lazyConnect: true,
          enableOfflineQueue: false,
          clusterRetryStrategy: reconnectDelay,
          redisOptions: { ...target.nodeOptions, ...FAIL_FAST, connectionName },
        })
      : new ioredis.Redis({
          ...target.options,
          ...FAIL_FAST,
          ...(target.options.sentinels ? SENTINEL_FAILOVER : {}),
          connectionName,
          lazyConnect: true,
          enableOfflineQueue: false,
          retryStrategy: reconnectDelay,
        });
  // ioredis rejects connect() with a bare "Connection is closed" (or "None of startup nodes is
  // available"); the reason (WRONGPASS, ECONNREFUSED…) arrives as an event, so keep the first one
  // for the startup error.
  let reason: unknown;
  const capture = (error: unknown) => (reason ??= error);
  client.on('error', capture);
  client.on('node error', capture);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Could not connect to Redis at ${redactSecrets(url)}: ${describeError(reason ?? error)}`,
    );
  } finally {
    client.off('error', capture);
    client.off('node error', capture);
  }
  watchConnection(client, redactSecrets(url));
  if (target.kind === 'server' && target.options.sentinels) {
    // QUIT ends the client but leaves the failover detector's Sentinel connections open (they
    // would keep the process alive); disconnect() closes them.
    client.once('end', () => client.disconnect());
  }
  return client;
}

/**
 * `connectRedisClient` for callers that need a single server's commands (SCAN, …): a
 * `redis+cluster://` URL fails with an error naming the option.
 */
export async function connectRedis(url: string, options: ConnectRedisOptions = {}): Promise<Redis> {
  if (isRedisClusterUrl(url)) {
    throw new GatekeeperConfigError(
      `${options.optionName ?? 'redisUrl'} is a Redis Cluster URL, which is not supported here: ` +
        'give a redis://, rediss:// or redis+sentinel:// URL',
    );
  }
  return (await connectRedisClient(url, options)) as Redis;
}

/** A Redis client and how to release it. */
export interface RedisHandle {
  readonly client: RedisClient;
  /** Quits the client if `openRedis` connected it; the application's client stays open. */
  close(): Promise<void>;
}

/** The application's client (`redis`, left open) or a new connection to `redisUrl`. */
export async function openRedis(
  source: { redis?: RedisClient; redisUrl?: string },
  connectionName: string,
): Promise<RedisHandle> {
  if (source.redis) return { client: source.redis, close: async () => undefined };
  const client = await connectRedisClient(source.redisUrl!, {
    connectionName,
    optionName: 'redisUrl',
  });
  return { client, close: () => quitRedis(client) };
}

/** QUIT (pending replies are flushed); a client already cut off is just disconnected. */
export async function quitRedis(client: RedisClient): Promise<void> {
  try {
    await client.quit();
  } catch {
    // Cut off already: disconnect() below is all there is to do.
  }
  // QUIT leaves the Sentinel connections of ioredis' failover detector open (on duplicates of a
  // Sentinel client too); disconnect() closes them, and is a no-op for a client QUIT ended.
  client.disconnect();
}

/** The CLIENT SETNAME of a client's connections, if it has one. */
export function connectionNameOf(client: RedisClient): string | undefined {
  return isRedisCluster(client)
    ? client.options.redisOptions?.connectionName
    : client.options.connectionName;
}

/**
 * The hash tag Redis Cluster hashes for keys starting with `prefix` (the text between the first
 * `{` and the first `}` after it, when not empty), or `undefined` when the prefix has none and
 * keys under it scatter over the slots.
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open === -1) return undefined;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

/**
 * The key prefix a module uses on `client`: the given one, else its default — on a cluster the
 * default with its namespace as hash tag (`'api_key:'` becomes `'{api_key}:'`), so that a
 * module's keys share one slot and its multi-key scripts stay legal.
 */
export function redisPrefixFor(
  client: RedisClient,
  given: string | undefined,
  defaultPrefix: string,
): string {
  if (given !== undefined) return given;
  if (!isRedisCluster(client) || hashTagOf(defaultPrefix) !== undefined) return defaultPrefix;
  return `{${defaultPrefix.replace(/:$/, '')}}:`;
}

/**
 * On a cluster, every key under `prefix` must share one slot: the module's scripts touch several
 * keys at once.
 * @throws GatekeeperConfigError naming `optionName` when the prefix has no hash tag.
 */
export function assertClusterPrefix(client: RedisClient, prefix: string, optionName: string): void {
  if (!isRedisCluster(client) || hashTagOf(prefix) !== undefined) return;
  const suggestion = `{${prefix.replace(/[{}]/g, '').replace(/:$/, '') || 'app'}}:`;
  throw new GatekeeperConfigError(
    `${optionName} ${JSON.stringify(prefix)} has no hash tag, which Redis Cluster needs: every key ` +
      `of the module must share one slot. Use a prefix such as ${JSON.stringify(suggestion)}`,
  );
}

/** What `waitForReplica` found out. */
export type ReplicaAcknowledgement = 'confirmed' | 'no-replica' | 'timeout';

/**
 * Waits (WAIT 1, at most `timeoutMs`) until a replica of the node serving `key` has every write
 * this client sent that node so far; answers `'no-replica'` at once when the node has no
 * connected replica (WAIT would only sit out its timeout). Each step is pipelined behind a command
 * on `key`, so that on a cluster it reaches the key's node, on the connection that wrote.
 */
export async function waitForReplica(
  redis: RedisClient,
  key: string,
  timeoutMs: number,
): Promise<ReplicaAcknowledgement> {
  const [role] = await pipelinedOn(redis, key, ['role']);
  const replicas = (role as [string, number, unknown[]?])[2];
  if (!Array.isArray(replicas) || replicas.length === 0) return 'no-replica';
  const [acknowledged] = await pipelinedOn(redis, key, ['wait', 1, timeoutMs]);
  return Number(acknowledged) >= 1 ? 'confirmed' : 'timeout';
}

/**
 * Runs `command` on the node of `key` (after EXISTS `key`, which routes the pipeline there): how
 * a keyless command (SCAN, WAIT, PING) reaches the node of a module's slot on a cluster.
 */
export async function pipelinedOn(
  redis: RedisClient,
  key: string,
  command: [string, ...Array<string | number>],
): Promise<unknown[]> {
  const results = await redis.pipeline([['exists', key], command]).exec();
  return (results ?? []).slice(1).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** Logs an outage once when it starts and once when it ends, not once per failed command. */
function watchConnection(client: RedisClient, where: string): void {
  const logger = new Logger('Redis');
  let down = false;
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn(`connection to ${where} lost: ${describeError(error)}; reconnecting`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`connection to ${where} restored`);
  });
}
