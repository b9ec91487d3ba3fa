import {
  URL_ENV,
  ensureServerBinaries,
  startMariadbServer,
  startPostgresServer,
  startRedisCluster,
  startRedisFailover,
  startRedisSentinel,
  startRedisServer,
  type ServerHandle,
} from './servers';

declare global {
  var __GATEKEEPER_TEST_SERVERS__: ServerHandle[] | undefined;
}

/**
 * Starts one real redis-server (+ Sentinel), a Redis Cluster, a Sentinel-managed primary and
 * replica for the failover test, PostgreSQL and MariaDB for the whole run, unless
 * TEST_REDIS_URL / TEST_REDIS_SENTINEL_URL / TEST_REDIS_CLUSTER_URL / TEST_REDIS_FAILOVER_URL /
 * TEST_POSTGRES_URL / TEST_MYSQL_URL point at existing ones. Test workers inherit the URLs
 * through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const started: ServerHandle[] = [];
  globalThis.__GATEKEEPER_TEST_SERVERS__ = started;
  const missing = (key: keyof typeof URL_ENV): boolean => !process.env[URL_ENV[key]];

  const redisKeys = ['redis', 'redisSentinel', 'redisCluster', 'redisFailover'] as const;
  const kinds = [
    ...(redisKeys.some(missing) ? (['redis'] as const) : []),
    ...(missing('postgres') ? (['postgres'] as const) : []),
    ...(missing('mysql') ? (['mysql'] as const) : []),
  ];
  ensureServerBinaries(kinds);

  const launch = async (key: keyof typeof URL_ENV, start: () => Promise<ServerHandle>) => {
    if (!missing(key)) return;
    const server = await start();
    started.push(server);
    process.env[URL_ENV[key]] = server.url;
  };
  await Promise.all([
    launch('redis', () => startRedisServer()),
    launch('redisCluster', () => startRedisCluster()),
    launch('redisFailover', () => startRedisFailover()),
    launch('postgres', () => startPostgresServer()),
    launch('mysql', () => startMariadbServer()),
  ]);
  await launch('redisSentinel', () => {
    const redis = new URL(process.env[URL_ENV.redis]!);
    return startRedisSentinel(redis.hostname, Number(redis.port || 6379));
  });
}
