import type { RedisOptions } from 'ioredis';
import { GatekeeperConfigError } from './errors';
import { redactSecrets } from './redact';

const EXPECTED =
  'expected redis://[user:password@]host[:port][/db], rediss://… (TLS), ' +
  'redis+sentinel://[:password@]host:port,host:port/<master>[/<db>] or ' +
  'redis+cluster://[user:password@]host:port,host:port (rediss+… for TLS)';

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
