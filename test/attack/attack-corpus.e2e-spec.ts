import {
  startPostgresServer,
  startRedisServer,
  uniqueName,
  type ServerHandle,
} from '../harness/servers';
import {
  createTestStore,
  startDemo,
  STORE_BACKENDS,
  type RunningDemo,
  type TestStore,
} from '../demo/support/demo-app';
import { jsonClient } from '../demo/support/http';
import {
  assertResponsive,
  createFixtures,
  describeResponse,
  isServerDefect,
} from './attack-fixtures';
import { CORPUS, type AttackCase, type Fixtures } from './corpus';
import { postgresProcesses, redisServerPid, signalAll } from '../harness/frozen-servers';
import { LoadLoop, waitForHealth } from './outage';
import { rawRequest, type RawRequest, type RawResponse } from './raw-http';

/**
 * Issue 13's attack run as a suite: the demo on each real backend gets the crafted requests of
 * corpus.ts, concurrent admin bursts and (Redis) its storage killed or frozen under load. A user
 * must see a 4xx for bad input, 503 at worst while a storage is down, never another 5xx, and a
 * server that keeps answering.
 */
describe.each(STORE_BACKENDS)('attack corpus: demo on %s', (backend) => {
  let store: TestStore;
  let demo: RunningDemo;
  let fixtures: Fixtures;

  beforeAll(async () => {
    store = await createTestStore(backend);
    demo = await startDemo(store.config);
    fixtures = await createFixtures(demo.baseUrl, demo.adminKey!);
  }, 30_000);

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  const send = (request: RawRequest) => rawRequest(demo.baseUrl, request);

  describe.each(CORPUS.map((group) => [group.name, group.cases] as const))(
    '%s',
    (_group, cases) => {
      it.each(cases.map((attack) => [attack.name, attack] as const))(
        '%s',
        async (_name, attack: AttackCase) => {
          const response = await send(attack.request(fixtures));
          const answer = describeResponse(response);
          expect(isServerDefect(response.status) ? `server error: ${answer}` : 'no 5xx').toBe(
            'no 5xx',
          );
          // The status first, so a failure shows what came back and why.
          expect(answer).toMatch(new RegExp(`^(${attack.expected.join('|')}) `));
          attack.check?.(response);
        },
        15_000,
      );

      it('still answers health and the public flagged route afterwards', async () => {
        await assertResponsive(demo.baseUrl);
      });
    },
  );

  it('lets no JSON body pollute Object.prototype', () => {
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('concurrency bursts', () => {
    const admin = (method: string, path: string, body?: unknown): Promise<RawResponse> =>
      send({
        method,
        path,
        headers: [
          ['x-api-key', fixtures.admin],
          ...(body === undefined ? [] : [['content-type', 'application/json'] as [string, string]]),
        ],
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it('20 concurrent rule adds on one flag: each 2xx or 409, and every 2xx rule is kept', async () => {
      expect((await admin('POST', '/admin/flags', { key: 'burst_rules' })).status).toBe(201);
      const names = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
      const responses = await Promise.all(
        names.map((name) => admin('POST', '/admin/flags/burst_rules/rules', { name })),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);

      const added = names.filter((_, i) => statuses[i] === 201);
      const flag = await admin('GET', '/admin/flags/burst_rules');
      const kept = (JSON.parse(flag.body) as { rules: Array<{ name: string }> }).rules.map(
        (rule) => rule.name,
      );
      expect(kept.sort()).toEqual(expect.arrayContaining(added.sort()));
      expect(added.length).toBeGreaterThan(0);
    }, 20_000);

    it('10 concurrent creations of one flag key: one 201, the rest 409', async () => {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          admin('POST', '/admin/flags', { key: 'burst_same_key', description: `writer ${i}` }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, ...Array<number>(9).fill(409)]);
    }, 20_000);

    it('20 concurrent overrides for different users on one flag: all kept', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `burst-user-${i}`);
      const responses = await Promise.all(
        users.map((user) =>
          admin('PUT', `/admin/flags/burst_rules/overrides/user/${user}`, { enabled: true }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(users.map(() => 200));
      const stored = await Promise.all(
        users.map((user) => admin('GET', `/admin/flags/burst_rules/overrides/user/${user}`)),
      );
      expect(stored.map((response) => response.status)).toEqual(users.map(() => 200));
    }, 20_000);

    it('the crafted headers and paths fired all at once: no 5xx, still responsive', async () => {
      const burst = CORPUS.filter((group) => /headers|path/.test(group.name)).flatMap(
        (group) => group.cases,
      );
      expect(burst.length).toBeGreaterThan(50);
      const responses = await Promise.all(burst.map((attack) => send(attack.request(fixtures))));
      const defects = responses
        .map((response, i) => ({ name: burst[i].name, response }))
        .filter(({ response }) => response.status === 0 || isServerDefect(response.status))
        .map(({ name, response }) => `${name}: ${describeResponse(response)}`);
      expect(defects).toEqual([]);
      await assertResponsive(demo.baseUrl);
    }, 30_000);
  });
});

/** A demo on its own redis-server (never the shared one), which the test may stop or freeze. */
async function demoOnOwnRedis(): Promise<{
  redis: ServerHandle;
  demo: RunningDemo;
  fixtures: Fixtures;
}> {
  const redis = await startRedisServer();
  const demo = await startDemo({
    port: 0,
    backend: 'redis',
    redisUrl: redis.url,
    redisPrefix: `${uniqueName('attack_')}:`,
  });
  return { redis, demo, fixtures: await createFixtures(demo.baseUrl, demo.adminKey!) };
}

/**
 * Redis killed under load: redis-server is stopped while a small loop of requests runs. Auth
 * fails closed (503), flags fall back to their defaults, nothing answers with another 5xx, and
 * the demo recovers when Redis returns.
 */
describe('attack corpus: demo on redis, Redis killed under load', () => {
  let redis: ServerHandle;
  let demo: RunningDemo;
  let fixtures: Fixtures;

  beforeAll(async () => {
    ({ redis, demo, fixtures } = await demoOnOwnRedis());
  }, 30_000);

  afterAll(async () => {
    await redis?.start();
    await demo?.close();
    await redis?.close();
  });

  it('answers 503 or from defaults while Redis is gone, never another 5xx', async () => {
    const load = new LoadLoop(demo.baseUrl, fixtures);
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 5; i++) await load.fire('before');
    await load.fireThrough(redis.stop());
    for (let i = 0; i < 30 && Date.now() < deadline; i++) await load.fire('after');

    expect(load.defects()).toEqual([]);
    // Before the kill everything worked; after it auth failed closed and the public route
    // kept serving its flag from defaults.
    expect(load.statuses('before').filter((status) => status >= 400)).toEqual([]);
    expect(load.statuses('after', 'GET /me')).toContain(503);
    expect(load.statuses('after', 'GET /me')).not.toContain(200);
    expect(new Set(load.statuses('after', 'GET /catalog/products'))).toEqual(new Set([200]));
    expect(new Set(load.statuses('after', 'GET /health'))).toEqual(new Set([503]));
    await assertResponsive(demo.baseUrl, [503]);
  }, 30_000);

  it('comes back when Redis does', async () => {
    await redis.start();
    expect(await waitForHealth(demo.baseUrl, 200)).toBe(200);
    // The restarted server is empty (no persistence): the old keys are unknown now.
    const me = await jsonClient(demo.baseUrl)('GET', '/me', { key: fixtures.customer });
    expect(me.status).toBe(401);
  }, 30_000);
});

/**
 * Redis frozen (SIGSTOP) under load: the connection stays open and nothing answers, so only the
 * libraries' command timeouts stand between a request and the outage. Every request still gets
 * an answer (503 or defaults), and everything works again after SIGCONT, data intact.
 */
describe('attack corpus: demo on redis, Redis frozen under load', () => {
  let redis: ServerHandle;
  let demo: RunningDemo;
  let fixtures: Fixtures;
  let pid: number | undefined;
  let frozen = false;

  beforeAll(async () => {
    ({ redis, demo, fixtures } = await demoOnOwnRedis());
    pid = await redisServerPid(redis.url);
  }, 30_000);

  afterAll(async () => {
    if (frozen && pid !== undefined) process.kill(pid, 'SIGCONT');
    await demo?.close();
    await redis?.close();
  });

  it('answers every request while Redis is frozen: 503 or defaults, never another 5xx', async () => {
    const load = new LoadLoop(demo.baseUrl, fixtures);
    for (let i = 0; i < 3; i++) await load.fire('before');
    process.kill(pid!, 'SIGSTOP');
    frozen = true;
    const deadline = Date.now() + 12_000;
    for (let i = 0; i < 3 && Date.now() < deadline; i++) await load.fire('after');

    // An unanswered request (the raw client gives up after 10 s) counts as a defect too.
    expect(load.defects()).toEqual([]);
    expect(load.statuses('before').filter((status) => status >= 400)).toEqual([]);
    expect(new Set(load.statuses('after', 'GET /me'))).toEqual(new Set([503]));
    expect(new Set(load.statuses('after', 'GET /catalog/products'))).toEqual(new Set([200]));
    expect(new Set(load.statuses('after', 'GET /health'))).toEqual(new Set([503]));
  }, 45_000);

  it('serves the same keys again after SIGCONT', async () => {
    process.kill(pid!, 'SIGCONT');
    frozen = false;
    expect(await waitForHealth(demo.baseUrl, 200)).toBe(200);
    const me = await jsonClient(demo.baseUrl)('GET', '/me', { key: fixtures.customer });
    expect(me.status).toBe(200);
  }, 30_000);
});

/**
 * PostgreSQL frozen (SIGSTOP: the postmaster and every backend) under load, on a private server:
 * requests holding a pooled connection and new ones alike end at the SQL timeouts (default 2 s)
 * with 503 or default flag values, never another 5xx; after SIGCONT the demo serves the same keys.
 */
describe('attack corpus: demo on postgres, PostgreSQL frozen under load', () => {
  let postgres: ServerHandle;
  let demo: RunningDemo;
  let fixtures: Fixtures;
  let frozen: number[] = [];

  beforeAll(async () => {
    postgres = await startPostgresServer();
    demo = await startDemo({
      port: 0,
      backend: 'postgres',
      databaseUrl: postgres.url,
      redisPrefix: '',
    });
    fixtures = await createFixtures(demo.baseUrl, demo.adminKey!);
  }, 60_000);

  afterAll(async () => {
    signalAll(frozen, 'SIGCONT');
    await demo?.close();
    await postgres?.close();
  }, 30_000);

  it('answers every request while PostgreSQL is frozen: 503 or defaults, never another 5xx', async () => {
    const load = new LoadLoop(demo.baseUrl, fixtures);
    for (let i = 0; i < 3; i++) await load.fire('before');
    const processes = await postgresProcesses(postgres.url);
    // Requests in flight at the moment of the freeze, some holding a connection.
    const during = Promise.all([load.fire('during'), load.fire('during')]);
    signalAll(processes, 'SIGSTOP');
    frozen = processes;
    await during;
    const deadline = Date.now() + 12_000;
    for (let i = 0; i < 3 && Date.now() < deadline; i++) await load.fire('after');

    expect(load.defects()).toEqual([]);
    expect(load.statuses('before').filter((status) => status >= 400)).toEqual([]);
    expect(new Set(load.statuses('after', 'GET /me'))).toEqual(new Set([503]));
    expect(new Set(load.statuses('after', 'GET /catalog/products'))).toEqual(new Set([200]));
    expect(new Set(load.statuses('after', 'GET /health'))).toEqual(new Set([503]));
  }, 45_000);

  it('serves the same keys again after SIGCONT', async () => {
    signalAll(frozen, 'SIGCONT');
    frozen = [];
    expect(await waitForHealth(demo.baseUrl, 200)).toBe(200);
    const me = await jsonClient(demo.baseUrl)('GET', '/me', { key: fixtures.customer });
    expect(me.status).toBe(200);
  }, 30_000);
});
