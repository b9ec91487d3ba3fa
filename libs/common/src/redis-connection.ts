import { Logger } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { requireDriver } from './driver';
import { GatekeeperConfigError } from './errors';
import { describeError, redactSecrets } from './redact';
import { DEFAULT_STORAGE_TIMEOUT_MS } from './timeout';

const EXPECTED =
  'expected redis://[user:password@]host[:port][/db], rediss://… (TLS) or ' +
  'redis+sentinel://[:password@]host:port,host:port/<master>[/<db>]';

export interface ConnectRedisOptions {
  /** Shown by CLIENT LIST; helps operators tell our connections apart. */
  connectionName?: string;
  /** Names the option in error messages ("redisUrl"). */
  optionName?: string;
}

/**
 * Turns a Redis URL into ioredis options. Beyond what ioredis parses itself it understands
 * Sentinel URLs and rejects malformed input with a message that never repeats the password.
 */
export function parseRedisUrl(url: string, optionName = 'redisUrl'): RedisOptions {
  const fail = (why: string): never => {
    throw new GatekeeperConfigError(
      `${optionName} ${JSON.stringify(redactSecrets(url))} is not valid: ${why}; ${EXPECTED}`,
    );
  };
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') return parseServerUrl(url, scheme, fail);
  if (scheme === 'redis+sentinel' || scheme === 'rediss+sentinel')
    return parseSentinelUrl(url, fail);
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
  // Several comma-separated hosts: not something WHATWG URL can parse.
  const rest = url.slice(url.indexOf('://') + 3);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const [master, db, extra] = (slash === -1 ? '' : rest.slice(slash + 1)).split('/');
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? '' : authority.slice(0, at);
  const hostList = authority.slice(at + 1);
  if (!master) fail('the master name is missing');
  if (extra !== undefined && extra !== '') fail('unexpected path after the db number');
  const sentinels = hostList.split(',').map((entry) => {
    const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry.trim());
    if (!match) return fail(`bad sentinel address ${JSON.stringify(entry)}`);
    return {
      host: match[1].replace(/^\[(.*)\]$/, '$1'),
      port: match[2] ? Number(match[2]) : 26379,
    };
  });
  const colon = userInfo.indexOf(':');
  const username = colon === -1 ? userInfo : userInfo.slice(0, colon);
  const password = colon === -1 ? '' : userInfo.slice(colon + 1);
  return {
    sentinels,
    name: decodeURIComponent(master),
    db: parseDb(db ?? '', fail),
    username: username ? decodeURIComponent(username) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
    tls: url.toLowerCase().startsWith('rediss+') ? {} : undefined,
  };
}

function parseDb(text: string, fail: (why: string) => never): number {
  if (text === '') return 0;
  if (!/^\d{1,5}$/.test(text)) fail(`db must be a number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Opens an ioredis client that fails fast while the server is away (no offline queue: a request
 * gets an error at once and the caller falls back) and reconnects in the background. Resolves once
 * the server answers, so a wrong URL fails startup instead of the first request.
 * The caller owns the client and must `quit()` it.
 */
export async function connectRedis(
  url: string,
  { connectionName, optionName = 'redisUrl' }: ConnectRedisOptions = {},
): Promise<Redis> {
  const options = parseRedisUrl(url, optionName);
  const ioredis = requireDriver<{ Redis: new (options: RedisOptions) => Redis }>(
    'ioredis',
    'redis',
  );
  const client = new ioredis.Redis({
    ...options,
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    // A command with no reply fails instead of hanging the request (the SQL bound's default too).
    commandTimeout: DEFAULT_STORAGE_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // ioredis rejects connect() with a bare "Connection is closed"; the reason (WRONGPASS,
  // ECONNREFUSED…) arrives as an 'error' event, so keep the first one for the startup error.
  let reason: unknown;
  const capture = (error: unknown) => (reason ??= error);
  client.on('error', capture);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Could not connect to Redis at ${redactSecrets(url)}: ${describeError(reason ?? error)}`,
    );
  } finally {
    client.off('error', capture);
  }
  watchConnection(client, redactSecrets(url));
  return client;
}

/** A Redis client and how to release it. */
export interface RedisHandle {
  readonly client: Redis;
  /** Quits the client if `openRedis` connected it; the application's client stays open. */
  close(): Promise<void>;
}

/** The application's client (`redis`, left open) or a new connection to `redisUrl`. */
export async function openRedis(
  source: { redis?: Redis; redisUrl?: string },
  connectionName: string,
): Promise<RedisHandle> {
  if (source.redis) return { client: source.redis, close: async () => undefined };
  const client = await connectRedis(source.redisUrl!, { connectionName, optionName: 'redisUrl' });
  return { client, close: () => quitRedis(client) };
}

/** QUIT (pending replies are flushed); a client already cut off is just disconnected. */
export async function quitRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** Logs an outage once when it starts and once when it ends, not once per failed command. */
function watchConnection(client: Redis, where: string): void {
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
