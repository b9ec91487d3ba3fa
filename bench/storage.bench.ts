import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  DatabaseApiKeyStorage,
  hashApiKey,
  generateApiKey,
  type ApiKey,
} from '@gatekeeper/api-auth';
import { RedisFeatureFlagStorage } from '@gatekeeper/feature-flags';
import { interleaved } from './support/measure';
import { benchUrls, fmt, ratio, type PartResult } from './support/result';

// Fifty alternating windows of 100 ms per pair: about ten seconds, as five one-second rounds were.
const WINDOWS = 50;
const WINDOW_MS = 100;

/** Part c: our storages against the raw driver call they wrap, one awaited call at a time. */
export async function runStorage(): Promise<PartResult> {
  const { redis: redisUrl, postgres } = benchUrls();

  const prefix = 'bench-storage:';
  const flags = await RedisFeatureFlagStorage.create({ url: redisUrl, prefix });
  await flags.deleteFlag('rollout');
  await flags.createFlag({
    key: 'rollout',
    rules: [
      {
        name: 'half-of-countries',
        conditions: [{ attribute: 'country', operator: 'in', value: ['US', 'CA', 'GB'] }],
        rolloutPercentage: 50,
      },
    ],
  });
  const raw = new Redis(redisUrl);

  const tablePrefix = 'bench_';
  const keys = await DatabaseApiKeyStorage.create({ connectionString: postgres, tablePrefix });
  const keyHash = hashApiKey(generateApiKey('sk_'));
  const apiKey: ApiKey = {
    id: randomUUID(),
    name: 'bench',
    ownerId: 'owner-1',
    prefix: 'sk_bench',
    keyHash,
    scopes: ['flags:read'],
    metadata: {},
    createdAt: new Date(),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
  };
  await keys.create(apiKey);
  const pg = new Client({ connectionString: postgres });
  await pg.connect();
  const sql = `SELECT * FROM ${tablePrefix}api_keys WHERE key_hash = $1`;

  const redisResults = await interleaved(
    {
      'RedisFeatureFlagStorage.getFlag': () => flags.getFlag('rollout'),
      'ioredis GET + JSON.parse': async () => JSON.parse((await raw.get(`${prefix}flag:rollout`))!),
    },
    WINDOWS,
    WINDOW_MS,
  );
  const pgResults = await interleaved(
    {
      'DatabaseApiKeyStorage.getByHash': () => keys.getByHash(keyHash),
      'pg query by hash': async () => (await pg.query(sql, [keyHash])).rows[0],
    },
    WINDOWS,
    WINDOW_MS,
  );

  await keys.delete(apiKey.id);
  await Promise.all([flags.close(), keys.close(), raw.quit(), pg.end()]);

  const redisRatio =
    redisResults['RedisFeatureFlagStorage.getFlag'] / redisResults['ioredis GET + JSON.parse'];
  const pgRatio = pgResults['DatabaseApiKeyStorage.getByHash'] / pgResults['pg query by hash'];
  const row = (name: string, ns: number, base: number) => [
    name,
    fmt(ns / 1000, 1),
    fmt(1e9 / ns),
    ratio(ns / base),
  ];
  return {
    part: 'c',
    title: 'c) Storage round trips, one call in flight (µs per call; ratio = ours / raw)',
    headers: ['call', 'µs/call', 'calls/s', 'ratio'],
    rows: [
      row(
        'RedisFeatureFlagStorage.getFlag',
        redisResults['RedisFeatureFlagStorage.getFlag'],
        redisResults['ioredis GET + JSON.parse'],
      ),
      row(
        'ioredis GET + JSON.parse',
        redisResults['ioredis GET + JSON.parse'],
        redisResults['ioredis GET + JSON.parse'],
      ),
      row(
        'DatabaseApiKeyStorage.getByHash (TypeORM)',
        pgResults['DatabaseApiKeyStorage.getByHash'],
        pgResults['pg query by hash'],
      ),
      row('pg query by hash', pgResults['pg query by hash'], pgResults['pg query by hash']),
    ],
    targets: [
      {
        name: 'c: Redis getFlag within 1.2x of raw GET',
        met: redisRatio <= 1.2,
        detail: ratio(redisRatio),
      },
    ],
    notes: [
      `${WINDOWS} windows of ${WINDOW_MS} ms per call, alternating between ours and the raw call; µs/call over all of them.`,
      `Key verification through TypeORM costs ${ratio(pgRatio)} the raw pg query (no target set).`,
    ],
  };
}
