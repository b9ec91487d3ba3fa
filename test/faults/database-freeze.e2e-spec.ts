import { ApiAuthModule, ApiKeyGuard, ApiKeyService } from '@gatekeeper/api-auth';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsModule,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { Controller, Get, type INestApplication, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mariadbProcesses, postgresProcesses, signalAll } from '../harness/frozen-servers';
import { startMariadbServer, startPostgresServer, type ServerHandle } from '../harness/servers';

/** The configured bound; the requirement is that no request waits longer than this plus 1 s. */
const TIMEOUT_MS = 500;
const MAX_WAIT_MS = TIMEOUT_MS + 1000;
const WORKERS = 6;
const FREEZE_MS = 4000;

@Controller()
class ProbeController {
  constructor(private readonly flags: FeatureFlagClient) {}

  @Get('protected')
  @UseGuards(ApiKeyGuard)
  protectedRoute() {
    return { ok: true };
  }

  /** Public: answers whatever the storage does, with the evaluation's reason. */
  @Get('flag')
  async flag() {
    const { value, reason } = await this.flags.getBooleanDetails('checkout', false);
    return { value, reason };
  }
}

/** `warmup`: the pools open their connections, which a loaded machine may make slow. */
type Phase = 'warmup' | 'before' | 'frozen' | 'after';

interface Sample {
  route: 'protected' | 'flag';
  /** The phase when the request was sent and the one when its answer arrived. */
  sent: Phase;
  answered: Phase;
  status: number;
  body: string;
  ms: number;
}

interface FreezeCase {
  name: string;
  start(): Promise<ServerHandle>;
  /** Every process of the server, found while it still answers. */
  processes(url: string): Promise<number[]>;
}

const CASES: FreezeCase[] = [
  { name: 'PostgreSQL', start: startPostgresServer, processes: postgresProcesses },
  { name: 'MariaDB', start: startMariadbServer, processes: mariadbProcesses },
];

/**
 * The database stops answering (SIGSTOP: PostgreSQL's postmaster and every backend, MariaDB's
 * one process) while requests are in flight, some of them holding pooled connections. With
 * queryTimeout/acquireTimeout at 500 ms, auth fails closed with 503, the public flag route serves
 * the caller's default, nothing is a 500 and nothing waits longer than the timeout plus 1 s;
 * after SIGCONT the app recovers alone. A private server: the shared ones must never be frozen
 * under the other suites.
 */
describe.each(CASES)('both modules on a $name that freezes under load', (fault) => {
  let server: ServerHandle;
  let app: INestApplication;
  let baseUrl: string;
  let apiKey: string;
  let frozen: number[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await fault.start();
    const database = {
      backend: 'database' as const,
      connectionString: server.url,
      queryTimeout: TIMEOUT_MS,
      acquireTimeout: TIMEOUT_MS,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot(database), ApiAuthModule.forRoot(database)],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    await app
      .get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE)
      .createFlag({ key: 'checkout', defaultEnabled: true });
    ({ key: apiKey } = await app
      .get(ApiKeyService)
      .create({ name: 'probe', ownerId: 'o', scopes: [] }));
  }, 120_000);

  afterAll(async () => {
    // Whatever happened in the test, the server must run again before it can be stopped.
    signalAll(frozen, 'SIGCONT');
    await app?.close();
    await server?.close();
    process.off('unhandledRejection', onUnhandled);
  }, 60_000);

  it('answers 503 / defaults within the timeout while frozen, and recovers after', async () => {
    let phase: Phase = 'warmup';
    let running = true;
    const samples: Sample[] = [];

    const send = async (route: Sample['route']): Promise<void> => {
      const sent = phase;
      const started = performance.now();
      const response = await fetch(`${baseUrl}/${route}`, {
        headers: route === 'protected' ? { 'x-api-key': apiKey } : {},
        // A safety net for the test itself, far above the bound checked below.
        signal: AbortSignal.timeout(15_000),
      });
      const body = await response.text();
      samples.push({
        route,
        sent,
        answered: phase,
        status: response.status,
        body,
        ms: performance.now() - started,
      });
    };
    const worker = async (n: number): Promise<void> => {
      for (let i = n; running; i += 1) await send(i % 2 === 0 ? 'protected' : 'flag');
    };

    const load = Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(n)));
    try {
      await sleep(1500);
      phase = 'before';
      await sleep(1000);
      frozen = await fault.processes(server.url);
      signalAll(frozen, 'SIGSTOP');
      phase = 'frozen';
      await sleep(FREEZE_MS);
      phase = 'after';
      signalAll(frozen, 'SIGCONT');
      frozen = [];
      await sleep(5000);
    } finally {
      running = false;
      signalAll(frozen, 'SIGCONT');
      await load;
    }

    const during = samples.filter((s) => s.sent === 'frozen' && s.answered === 'frozen');
    const describe = (s: Sample) => `${s.route} ${s.sent}→${s.answered} ${s.status} ${s.ms | 0} ms`;

    // Never a 500 (or any 5xx but 503), and never a wait beyond the configured timeout + 1 s.
    expect(samples.filter((s) => s.status >= 500 && s.status !== 503).map(describe)).toEqual([]);
    expect(samples.filter((s) => s.ms > MAX_WAIT_MS).map(describe)).toEqual([]);

    // The load really ran in every phase, and requests were in flight when the server froze.
    expect(samples.filter((s) => s.sent === 'before').length).toBeGreaterThan(20);
    expect(during.length).toBeGreaterThan(20);
    expect(samples.some((s) => s.sent === 'before' && s.answered === 'frozen')).toBe(true);

    // Auth fails closed; the public flag route serves the caller's default.
    const protectedDuring = during.filter((s) => s.route === 'protected');
    expect(protectedDuring.length).toBeGreaterThan(0);
    expect(protectedDuring.filter((s) => s.status !== 503).map(describe)).toEqual([]);
    const flagsDuring = during.filter((s) => s.route === 'flag');
    expect(flagsDuring.length).toBeGreaterThan(0);
    for (const sample of flagsDuring) {
      expect(sample.status).toBe(200);
      expect(JSON.parse(sample.body)).toEqual({ value: false, reason: 'ERROR' });
    }

    // Before the freeze and from a few seconds after SIGCONT on, everything succeeds again.
    const ok = (s: Sample) =>
      s.status === 200 && (s.route === 'protected' || JSON.parse(s.body).reason === 'STATIC');
    const before = samples.filter((s) => s.sent === 'before' && s.answered === 'before');
    expect(before.filter((s) => !ok(s)).map(describe)).toEqual([]);
    const settled = samples.filter((s) => s.sent === 'after').slice(-WORKERS * 4);
    expect(settled.length).toBe(WORKERS * 4);
    expect(settled.filter((s) => !ok(s)).map(describe)).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 90_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
