import { Logger } from '@nestjs/common';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { requireDriver } from './driver';
import { GatekeeperConfigError } from './errors';
import { describeError, redactSecrets } from './redact';
import { isRedisClusterUrl, parseRedisUrl, type RedisAddress } from './redis-url';
import { DEFAULT_STORAGE_TIMEOUT_MS } from './timeout';

/** What the modules accept as their Redis: one server (maybe Sentinel-managed) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

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

/** Bounded waits every connection gets, whether to one server or to each cluster node. */
const FAIL_FAST = {
  maxRetriesPerRequest: 1,
  connectTimeout: 5000,
  // A command with no reply fails instead of hanging the request (the SQL bound's default too).
  commandTimeout: DEFAULT_STORAGE_TIMEOUT_MS,
} satisfies RedisOptions;

/** Backoff of every reconnection: 100 ms, 200 ms, … 2 s. */
export const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 2000);

/**
 * How often a Cluster client asks for the slot map without being told to. ioredis otherwise asks
 * only when a node answers MOVED or a connection closes; a node that stops answering (a frozen
 * process, a network partition) does neither, so after its replica took over, every command for
 * its slots would go on timing out against it.
 */
const CLUSTER_SLOTS_REFRESH_MS = 2000;

/**
 * Re-reads a Cluster client's slot map every CLUSTER_SLOTS_REFRESH_MS until the client ends.
 * Not ioredis' `slotsRefreshInterval`: a `quit()` that lands while one of its refreshes is in
 * flight leaves it re-arming itself forever (ioredis 5.11 and 6.0), and that timer keeps the
 * process from exiting after the application closed. This one is unreferenced and stops at `end`.
 */
function refreshSlotsPeriodically(cluster: Cluster): void {
  const timer = setInterval(() => {
    if (cluster.status === 'ready') cluster.refreshSlotsCache();
  }, CLUSTER_SLOTS_REFRESH_MS).unref();
  cluster.once('end', () => clearInterval(timer));
}

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
  if (isRedisCluster(client)) {
    refreshSlotsPeriodically(client);
  } else {
    reconnectWhenAbandoned(client, `the connection to ${redactSecrets(url)}`, () => {
      // QUIT ends the client but leaves the failover detector's Sentinel connections open (they
      // would keep the process alive); disconnect() closes them.
      if (target.kind === 'server' && target.options.sentinels) client.disconnect();
    });
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
  closing.add(client);
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

/** Clients `quitRedis` is closing: however they end, it is final. */
const closing = new WeakSet<RedisClient>();

/** What ioredis rejects with once it has given up on a connection. */
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * Connects `client` again when ioredis has given up on it, and runs `onEnd` on any other end.
 *
 * ioredis ends a client for good when a connection attempt is cut short by a second disconnection
 * (the symptom of redis/ioredis#1683): the attempt fails with "Connection is closed.", the client
 * ends with no retry scheduled, and every later command fails at once. Its Sentinel failover
 * detector does exactly that when the switch is announced while a reconnect is still asking the
 * Sentinels for the primary. On a loaded machine that left an instance answering 503 after a
 * failover until it was restarted, and a subscriber deaf to every invalidation. Such an end is
 * retried with the usual backoff. An end that was asked for (`quitRedis`, `quit()`,
 * `disconnect()`) is final: ioredis reports it without that error.
 */
export function reconnectWhenAbandoned(client: Redis, what: string, onEnd = () => {}): void {
  const logger = new Logger('Redis');
  let abandoned = false;
  let attempts = 0;
  client.on('error', (error: unknown) => {
    abandoned =
      client.status === 'connecting' &&
      error instanceof Error &&
      error.message === CONNECTION_CLOSED;
  });
  client.on('ready', () => {
    attempts = 0;
  });
  client.on('end', () => {
    if (!abandoned || closing.has(client)) {
      onEnd();
      return;
    }
    abandoned = false;
    const delay = reconnectDelay(++attempts);
    logger.warn(
      `ioredis gave up on ${what} after an interrupted attempt; connecting again in ${delay} ms`,
    );
    setTimeout(() => {
      if (client.status === 'end' && !closing.has(client)) client.connect().catch(() => {});
    }, delay).unref();
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
