import { performance } from 'node:perf_hooks';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { connectRedis, quitRedis, waitForReplica } from '@gatekeeper/common';
import {
  EvaluationReason,
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { startRedisFailover, uniqueName, type ServerHandle } from '../harness/servers';

/**
 * A private failover topology (a primary, one replica, three Sentinels: the harness's shared one
 * belongs to the API-key failover test) loses its primary to SIGKILL while an instance with
 * `localCache` evaluates cached flags and writes one flag every few evaluations.
 */

const FLAGS = 20;
/** Bounds of the load loop: whichever comes first ends it. */
const MAX_ITERATIONS = 3000;
const MAX_LOOP_MS = 40_000;
const WRITES_BEFORE_KILL = 5;
/** Once writes work again, the loop goes on for this many more acknowledged writes. */
const WRITES_AFTER_RECOVERY = 10;
const WRITE_EVERY = 4;
const PAUSE_MS = 10;
/** What cached flags may be served with: fresh from Redis, or from the cache while it fails. */
const SERVED = new Set<EvaluationReason>([
  EvaluationReason.STATIC,
  EvaluationReason.CACHED,
  EvaluationReason.STALE,
]);

describe('feature flags across a Redis Sentinel failover (SIGKILL of the primary)', () => {
  const prefix = `${uniqueName('ff-failover-')}:`;
  let topology: ServerHandle;
  let instance: INestApplicationContext;

  beforeAll(async () => {
    topology = await startRedisFailover('gatekeeper-ff-failover');
    const moduleRef = await Test.createTestingModule({
      imports: [
        FeatureFlagsModule.forRoot({
          backend: 'redis',
          redisUrl: topology.url,
          redisPrefix: prefix,
          // Shorter than the failover: entries go past their ttl while the primary is away.
          localCache: { ttl: 1 },
        }),
      ],
    }).compile();
    moduleRef.useLogger(false);
    instance = await moduleRef.init();
  }, 60_000);

  afterAll(async () => {
    await instance?.close();
    await topology?.close();
  });

  it('serves cached flags throughout, never ERROR, and takes writes again after the failover', async () => {
    const storage = instance.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    const client = instance.get(FeatureFlagClient);
    const keys = Array.from({ length: FLAGS }, (_, i) => `cached-${i}`);
    for (const key of keys) await storage.createFlag({ key, defaultEnabled: true });
    const written = await storage.createFlag({ key: 'written', defaultEnabled: false });
    for (const key of keys) expect(await client.isEnabled(key)).toBe(true);
    await replicated(topology.url, prefix);

    const reasons = new Map<string, number>();
    const wrong: string[] = [];
    let [acknowledged, failed, afterRecovery, lastWrite] = [0, 0, 0, -1];
    let killedAt: number | undefined;
    let recoveredAt: number | undefined;
    const started = performance.now();
    for (let i = 0; i < MAX_ITERATIONS && performance.now() - started < MAX_LOOP_MS; i++) {
      const key = keys[i % keys.length];
      const details = await client.getBooleanDetails(key, false);
      reasons.set(details.reason, (reasons.get(details.reason) ?? 0) + 1);
      if (!details.value || !SERVED.has(details.reason)) {
        wrong.push(`${key}: ${details.reason} ${details.errorCode ?? ''}`);
      }
      if (i % WRITE_EVERY === 0) {
        try {
          // Without a version: the last writes before the kill may be lost with the primary.
          await storage.updateFlag({ ...written, version: undefined, metadata: { write: i } });
          lastWrite = i;
          acknowledged++;
          if (killedAt !== undefined) {
            recoveredAt ??= performance.now();
            afterRecovery++;
          }
        } catch {
          failed++;
        }
        if (killedAt === undefined && acknowledged >= WRITES_BEFORE_KILL) {
          await killPrimary(topology.url);
          killedAt = performance.now();
        }
      }
      if (afterRecovery >= WRITES_AFTER_RECOVERY) break;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }

    const recovery =
      killedAt !== undefined && recoveredAt !== undefined
        ? `${Math.round(recoveredAt - killedAt)} ms`
        : 'never';
    console.log(
      `Sentinel failover (feature flags): recovery (SIGKILL of the primary → first acknowledged ` +
        `flag write) ${recovery}; reasons ${[...reasons].map(([r, n]) => `${r}×${n}`).join(', ')}; ` +
        `writes acknowledged ${acknowledged}, failed ${failed}`,
    );
    expect(killedAt).toBeDefined();
    expect(recoveredAt).toBeDefined();
    expect(wrong).toEqual([]);
    // The last acknowledged write is what the new primary serves.
    expect((await storage.getFlag('written'))?.metadata).toEqual({ write: lastWrite });
  }, 90_000);
});

/** Resolves once the replica has every write made so far (WAIT behind a write of our own). */
async function replicated(url: string, prefix: string): Promise<void> {
  const redis = await connectRedis(url);
  try {
    await redis.set(`${prefix}replicated`, '1');
    expect(await waitForReplica(redis, `${prefix}replicated`, 5000)).toBe('confirmed');
  } finally {
    await quitRedis(redis);
  }
}

/** SIGKILL of the primary the Sentinels name: no shutdown, no last replication. */
async function killPrimary(url: string): Promise<void> {
  const redis = await connectRedis(url);
  try {
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    process.kill(pid, 'SIGKILL');
  } finally {
    redis.disconnect();
  }
}
