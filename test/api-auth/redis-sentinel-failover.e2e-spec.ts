import { performance } from 'node:perf_hooks';
import {
  ApiKeyService,
  RedisApiKeyStorage,
  type ApiAuthModuleOptions,
  type CreatedApiKey,
} from '@gatekeeper/api-auth';
import { connectRedis, quitRedis } from '@gatekeeper/common';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import { testUrls, uniqueName } from '../harness/servers';
import { eventually } from '../support/eventually';
import { createTestApp } from './fixtures/api-auth-test-app';

/** Checks 50 ms apart for about 15 seconds: a failover takes a few. */
const FAILOVER_POLL = { attempts: 300, everyMs: 50 };

/**
 * The harness's failover topology (a primary, one replica, three Sentinels) loses its primary to
 * SIGKILL in the middle of a stream of guarded requests and revocations. Run once per topology:
 * afterwards the replica is the primary and has no replica of its own.
 */

const KEYS = 200;
/** Bounds of the load loop: whichever comes first ends it. */
const MAX_ITERATIONS = 3000;
const MAX_LOOP_MS = 40_000;
/** The primary is killed right after this many revocations were acknowledged. */
const REVOKES_BEFORE_KILL = 10;
/** Once writes work again, the loop goes on for this many more acknowledged revocations. */
const REVOKES_AFTER_RECOVERY = 15;
/** One revocation is attempted every this many iterations; each iteration pauses a little. */
const REVOKE_EVERY = 4;
const PAUSE_MS = 10;

interface Outcome {
  statuses: Map<number, number>;
  /** Revocations that resolved: each key must be refused from then on. */
  acknowledged: CreatedApiKey[];
  /** Revocations that failed: the key may or may not be revoked; nothing is asserted about it. */
  failed: CreatedApiKey[];
  /** Requests with an acknowledged-revoked key that were let in (must stay empty). */
  admittedRevoked: string[];
  killedAt?: number;
  recoveredAt?: number;
  iterations: number;
  /** Why the last failed revocation failed: what to read when recovery never came. */
  lastError?: string;
}

describe('API-key auth across a Redis Sentinel failover (SIGKILL of the primary)', () => {
  const url = testUrls().redisFailover;
  const master = url.split('/')[3];
  const prefix = `${uniqueName('failover-')}:`;
  let a: INestApplication;
  let b: INestApplication;

  beforeAll(async () => {
    const auth: ApiAuthModuleOptions = {
      storage: undefined,
      backend: 'redis',
      redisUrl: url,
      redisPrefix: prefix,
      localCache: { ttl: 5 },
    };
    a = await createTestApp({ auth });
    // B only verifies; its cache outlives the test, so only invalidations over the pub/sub bus
    // (or the reset when the bus re-attaches after the failover) can make it refuse a key.
    b = await createTestApp({ auth: { ...auth, localCache: { ttl: 3600 } } });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const status = async (app: INestApplication, key: string): Promise<number> =>
    (await request(app.getHttpServer()).get('/local/me').set('x-api-key', key)).status;

  it('answers 200 or 503, never lets a revoked key in, and loses no acknowledged revocation', async () => {
    const service = a.get(ApiKeyService);
    const keys: CreatedApiKey[] = [];
    for (let i = 0; i < KEYS; i++) {
      keys.push(await service.create({ name: `failover ${i}`, ownerId: 'failover', scopes: [] }));
    }
    for (const { key } of keys) expect(await status(b, key)).toBe(200);
    // Creations are acknowledged by the primary alone: wait until the replica has them all, so
    // that a lost creation cannot pass for a wrongly refused key.
    await replicaHas(
      url,
      master,
      keys.map(({ apiKey }) => `${prefix}id:${apiKey.id}`),
    );

    const outcome = await loadLoop(a, service, keys, () => killPrimary(url, master));
    const { statuses, acknowledged, admittedRevoked, killedAt, recoveredAt } = outcome;
    report(outcome);
    // Without recovery, say whether the Sentinels failed over at all (a harness or load problem)
    // or did and the client never followed (ours).
    if (recoveredAt === undefined) console.log(await sentinelViews(url, master));

    expect(killedAt).toBeDefined();
    expect(recoveredAt).toBeDefined();
    expect(statuses.get(500)).toBeUndefined();
    expect([...statuses.keys()].every((code) => [200, 401, 503].includes(code))).toBe(true);
    expect(admittedRevoked).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(
      REVOKES_BEFORE_KILL + REVOKES_AFTER_RECOVERY,
    );

    // Every acknowledged revocation is in the store the new primary serves…
    const redis = await connectRedis(url);
    try {
      const storage = new RedisApiKeyStorage(redis, { prefix });
      for (const { apiKey } of acknowledged) {
        expect({ id: apiKey.id, revokedAt: (await storage.getById(apiKey.id))?.revokedAt }).toEqual(
          { id: apiKey.id, revokedAt: expect.any(Date) },
        );
      }
    } finally {
      await quitRedis(redis);
    }
    // …and refused by B too, whose bus came back on the new primary (bounded wait: the bus
    // re-attaches in the background).
    const refusedByB = await eventually(async () => {
      for (const { key } of acknowledged) if ((await status(b, key)) !== 401) return false;
      return true;
    }, FAILOVER_POLL);
    expect(refusedByB).toBe(true);
  }, 90_000);
});

/**
 * Guarded requests on A (a never-revoked key: 200 or 503; an acknowledged-revoked key: never
 * 200; B is checked after recovery: its bus may miss messages during the failover) and a revocation every few iterations; kills the primary once enough revocations were
 * acknowledged, and stops once writes have worked again for a while, or at the bounds.
 */
async function loadLoop(
  a: INestApplication,
  service: ApiKeyService,
  keys: CreatedApiKey[],
  kill: () => Promise<void>,
): Promise<Outcome> {
  const outcome: Outcome = {
    statuses: new Map(),
    acknowledged: [],
    failed: [],
    admittedRevoked: [],
    iterations: 0,
  };
  const untouched = [...keys];
  const count = (code: number) => outcome.statuses.set(code, (outcome.statuses.get(code) ?? 0) + 1);
  const get = async (app: INestApplication, key: string) => {
    const code = (await request(app.getHttpServer()).get('/local/me').set('x-api-key', key)).status;
    count(code);
    return code;
  };
  const started = performance.now();
  let acknowledgedSinceRecovery = 0;
  for (let i = 0; i < MAX_ITERATIONS && performance.now() - started < MAX_LOOP_MS; i++) {
    outcome.iterations = i + 1;
    const live = untouched[i % untouched.length];
    const liveCode = await get(a, live.key);
    if (liveCode !== 200 && liveCode !== 503) {
      throw new Error(`a live key got ${liveCode} at iteration ${i}`);
    }
    if (outcome.acknowledged.length > 0) {
      const revoked = outcome.acknowledged[i % outcome.acknowledged.length];
      if ((await get(a, revoked.key)) === 200) outcome.admittedRevoked.push(revoked.apiKey.id);
    }

    if (i % REVOKE_EVERY === 0 && untouched.length > 1) {
      const target = untouched.splice(untouched.length - 1, 1)[0];
      try {
        await service.revoke(target.apiKey.id);
        outcome.acknowledged.push(target);
        if (outcome.killedAt !== undefined) {
          outcome.recoveredAt ??= performance.now();
          acknowledgedSinceRecovery++;
        }
      } catch (error) {
        outcome.failed.push(target);
        outcome.lastError =
          error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if (outcome.killedAt === undefined && outcome.acknowledged.length >= REVOKES_BEFORE_KILL) {
        // Right after an acknowledged revocation: without WAIT it could still be on its way.
        await kill();
        outcome.killedAt = performance.now();
      }
    }
    if (acknowledgedSinceRecovery >= REVOKES_AFTER_RECOVERY) break;
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  return outcome;
}

/** The figures the storage guide quotes. */
function report(outcome: Outcome): void {
  const { killedAt, recoveredAt, statuses, acknowledged, failed, iterations } = outcome;
  const recovery =
    killedAt !== undefined && recoveredAt !== undefined
      ? `${Math.round(recoveredAt - killedAt)} ms`
      : 'never';
  const codes = [...statuses].map(([code, n]) => `${code}×${n}`).join(', ');
  console.log(
    `Sentinel failover: recovery (SIGKILL of the primary → first acknowledged revoke) ${recovery}; ` +
      `${iterations} iterations; responses ${codes}; revokes acknowledged ${acknowledged.length}, ` +
      `failed ${failed.length}` +
      (outcome.lastError === undefined ? '' : `; last failure: ${outcome.lastError}`),
  );
}

/** The `host:port` of each Sentinel of a `redis+sentinel://h1:p1,h2:p2/<master>/<db>` URL. */
function sentinelAddresses(url: string): string[] {
  return url.split('/')[2].split(',');
}

/** What each Sentinel says of the master (address, flags, failover state), for a failed run. */
async function sentinelViews(url: string, master: string): Promise<string> {
  const views: string[] = [];
  for (const address of sentinelAddresses(url)) {
    const [host, port] = address.split(':');
    const sentinel = new Redis({ host, port: Number(port), lazyConnect: true });
    try {
      await sentinel.connect();
      const fields = (await sentinel.call('SENTINEL', 'MASTER', master)) as string[];
      const field = (name: string) =>
        fields.includes(name) ? fields[fields.indexOf(name) + 1] : undefined;
      // TILT: a Sentinel whose timer stalled (a starved machine) acts on nothing for 30 s.
      const tilt = /sentinel_tilt:(\d+)/.exec(await sentinel.info('sentinel'))?.[1];
      views.push(
        `${address}: ${field('ip')}:${field('port')} flags=${field('flags')} ` +
          `failover-state=${field('failover-state') ?? '-'} num-slaves=${field('num-slaves')} ` +
          `tilt=${tilt ?? '?'}`,
      );
    } catch (error) {
      views.push(`${address}: ${String(error)}`);
    } finally {
      sentinel.disconnect();
    }
  }
  return `Sentinels after the loop: ${views.join('; ')}`;
}

/** The current primary, as the Sentinels see it, and a direct connection to it. */
async function primaryOf(url: string, master: string): Promise<Redis> {
  const [host, port] = sentinelAddresses(url)[0].split(':');
  const sentinel = new Redis({ host, port: Number(port), lazyConnect: true });
  try {
    await sentinel.connect();
    const [primaryHost, primaryPort] = (await sentinel.call(
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      master,
    )) as [string, string];
    return new Redis({ host: primaryHost, port: Number(primaryPort) });
  } finally {
    sentinel.disconnect();
  }
}

/** SIGKILL: no shutdown, no last replication; only a server on this machine can be killed so. */
async function killPrimary(url: string, master: string): Promise<void> {
  const primary = await primaryOf(url, master);
  try {
    if (primary.options.host !== '127.0.0.1') {
      throw new Error(`${url} must be a topology on this machine: the test kills its primary`);
    }
    const info = await primary.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    process.kill(pid, 'SIGKILL');
  } finally {
    primary.disconnect();
  }
}

/** Waits (bounded) until the primary's replica holds every one of `keys`. */
async function replicaHas(url: string, master: string, keys: string[]): Promise<void> {
  const primary = await primaryOf(url, master);
  try {
    const info = await primary.info('replication');
    const [, host, port] = /slave0:ip=([^,]+),port=(\d+)/.exec(info) ?? [];
    const replica = new Redis({ host, port: Number(port) });
    try {
      const complete = await eventually(
        async () => (await replica.exists(...keys)) === keys.length,
        FAILOVER_POLL,
      );
      if (!complete) throw new Error('the replica never caught up with the created keys');
    } finally {
      replica.disconnect();
    }
  } finally {
    primary.disconnect();
  }
}
