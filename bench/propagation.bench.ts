import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ApiAuthModule, ApiKeyService, RevokedApiKeyError } from '@gatekeeper/api-auth';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { percentile } from './support/measure';
import { benchUrls, fmt, type PartResult } from './support/result';

/**
 * Part d: two application instances on one Redis, then on a Redis Cluster, caches on (ttl far
 * longer than the run, so only pub/sub invalidation can explain a change). Time from the write on
 * A until B answers differently, B polling once per event-loop turn.
 */
const CHANGES = 200;
const GIVE_UP_MS = 2_000;

/** Tagged prefixes: a cluster needs them, a single server takes them as they are. */
async function instance(redisUrl: string): Promise<INestApplicationContext> {
  @Module({
    imports: [
      FeatureFlagsModule.forRoot({
        backend: 'redis',
        redisUrl,
        redisPrefix: '{bench-prop}:',
        localCache: { ttl: 3600 },
      }),
      ApiAuthModule.forRoot({
        backend: 'redis',
        redisUrl,
        redisPrefix: '{bench-prop-keys}:',
        localCache: { ttl: 3600 },
        lastUsedInterval: 3600,
      }),
    ],
  })
  class InstanceModule {}
  return NestFactory.createApplicationContext(InstanceModule, { logger: false });
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(check: () => Promise<boolean>): Promise<number> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(GIVE_UP_MS) * 1_000_000n;
  while (!(await check())) {
    if (process.hrtime.bigint() > deadline) return Infinity;
    await turn();
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Flag updates, then key revocations, made on one instance and awaited on the other. */
async function measure(redisUrl: string): Promise<{ flagTimes: number[]; keyTimes: number[] }> {
  const a = await instance(redisUrl);
  const b = await instance(redisUrl);
  const flagsA = a.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
  const clientB = b.get(FeatureFlagClient);
  const keysA = a.get(ApiKeyService);
  const keysB = b.get(ApiKeyService);

  await flagsA.deleteFlag('propagation');
  let flag = await flagsA.createFlag({ key: 'propagation', defaultEnabled: false });
  const flagTimes: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const before = await clientB.isEnabled('propagation'); // cached on B from here
    await clientB.isEnabled('propagation');
    const start = process.hrtime.bigint();
    const write = flagsA.updateFlag({ ...flag, defaultEnabled: !before });
    const waited = await until(async () => (await clientB.isEnabled('propagation')) !== before);
    flag = await write;
    flagTimes.push(waited === Infinity ? Infinity : Number(process.hrtime.bigint() - start) / 1e6);
  }

  const keyTimes: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const { key, apiKey } = await keysA.create({ name: `prop-${i}`, ownerId: 'bench', scopes: [] });
    await keysB.verify(key); // cached on B
    await keysB.verify(key);
    const start = process.hrtime.bigint();
    const revoke = keysA.revoke(apiKey.id);
    const waited = await until(() =>
      keysB.verify(key).then(
        () => false,
        (error: unknown) => error instanceof RevokedApiKeyError,
      ),
    );
    await revoke;
    keyTimes.push(waited === Infinity ? Infinity : Number(process.hrtime.bigint() - start) / 1e6);
    await keysA.delete(apiKey.id);
  }
  await flagsA.deleteFlag('propagation');
  await Promise.all([a.close(), b.close()]);
  return { flagTimes, keyTimes };
}

export async function runPropagation(): Promise<PartResult> {
  const { redis, redisCluster } = benchUrls();
  if (!redisCluster) throw new Error('part d needs the Redis Cluster run.mjs starts for it');
  const single = await measure(redis);
  const cluster = await measure(redisCluster);

  const summary = (name: string, times: number[]) => {
    const sorted = [...times].sort((x, y) => x - y);
    return {
      row: [
        name,
        String(times.length),
        fmt(percentile(sorted, 50), 2),
        fmt(percentile(sorted, 99), 2),
        fmt(sorted[sorted.length - 1], 2),
        String(times.filter((t) => t === Infinity).length),
      ],
      p99: percentile(sorted, 99),
    };
  };
  const flags = summary('flag update → other instance answers differently', single.flagTimes);
  const keys = summary('key revocation → other instance rejects the key', single.keyTimes);
  const clusterFlags = summary('flag update, Redis Cluster', cluster.flagTimes);
  const clusterKeys = summary('key revocation, Redis Cluster', cluster.keyTimes);
  return {
    part: 'd',
    title:
      'd) Propagation between two instances on one Redis, and on a 3-primary Redis Cluster (ms, write start → other instance changes)',
    headers: ['change', 'n', 'p50 ms', 'p99 ms', 'max ms', `lost (> ${GIVE_UP_MS} ms)`],
    rows: [flags.row, keys.row, clusterFlags.row, clusterKeys.row],
    targets: [
      {
        name: 'd: flag propagation p99 < 100 ms',
        met: flags.p99 < 100,
        detail: `${fmt(flags.p99, 2)} ms`,
      },
      {
        name: 'd: key revocation propagation p99 < 100 ms',
        met: keys.p99 < 100,
        detail: `${fmt(keys.p99, 2)} ms`,
      },
      {
        name: 'd: flag propagation p99 < 100 ms on a Redis Cluster',
        met: clusterFlags.p99 < 100,
        detail: `${fmt(clusterFlags.p99, 2)} ms`,
      },
    ],
    notes: [
      'Both instances run in one process (one event loop); cache ttl 3600 s, so only pub/sub explains a change.',
      "On the cluster every key of a module is in its prefix hash tag's slot; PUBLISH reaches every node.",
    ],
  };
}
