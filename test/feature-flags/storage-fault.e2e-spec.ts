import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { withTimeout } from '@gatekeeper/common';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagsHealthIndicator,
  FeatureFlagsModule,
  type FeatureFlagStorage,
  type FeatureFlagsModuleOptions,
} from '@gatekeeper/feature-flags';
import { startPostgresServer, startRedisServer, type ServerHandle } from '../harness/servers';
import { retrying } from '../support/eventually';

interface FaultCase {
  name: string;
  start(): Promise<ServerHandle>;
  options(url: string): FeatureFlagsModuleOptions;
}

const CASES: FaultCase[] = [
  {
    name: 'postgres',
    start: startPostgresServer,
    options: (url) => ({ backend: 'database', connectionString: url }),
  },
  {
    name: 'redis',
    start: () => startRedisServer({ password: 'fault-pw' }),
    options: (url) => ({ backend: 'redis', redisUrl: url }),
  },
];

/**
 * The storage's server goes away in the middle of a running app and comes back: flags fall back
 * to the callers' defaults, health turns down quickly, and the same app recovers on its own.
 */
describe.each(CASES)('an app on $name when the server stops and starts again', (fault) => {
  let server: ServerHandle;
  let app: INestApplication;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await fault.start();
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot(fault.options(server.url))],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await server?.close();
    process.off('unhandledRejection', onUnhandled);
  }, 60_000);

  it('serves defaults with reason ERROR, reports down, then recovers', async () => {
    const client = app.get(FeatureFlagClient);
    const health = app.get(FeatureFlagsHealthIndicator);
    const storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    await storage.createFlag({ key: 'checkout', flagType: 'string', defaultValue: 'new' });

    expect(await client.getStringDetails('checkout', 'fallback')).toMatchObject({
      value: 'new',
      reason: 'STATIC',
    });
    expect(await health.isHealthy()).toMatchObject({ feature_flags: { status: 'up' } });

    await server.stop();

    const during = await client.getStringDetails('checkout', 'fallback');
    expect(during).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: 'GENERAL' });
    expect(during.errorMessage).not.toContain(fault.name === 'redis' ? 'fault-pw' : 'gk-test-pw');
    expect(await client.isEnabled('checkout')).toBe(false);
    expect(await client.getAllFlags()).toEqual({});
    const down = await withTimeout(health.isHealthy(), 2000, 'the health check');
    expect(down).toMatchObject({ feature_flags: { status: 'down' } });

    await server.start();

    const recovered = await retrying(
      async () => {
        const details = await client.getStringDetails('checkout', 'fallback');
        if (details.reason === 'ERROR') throw new Error(`still failing: ${details.errorMessage}`);
        return details;
      },
      { withinMs: 30_000, everyMs: 100 },
    );
    // The test Redis persists nothing, so its flag is gone after the restart; PostgreSQL kept it.
    if (fault.name === 'redis') {
      expect(recovered).toMatchObject({ reason: 'DEFAULT', errorCode: 'FLAG_NOT_FOUND' });
      await storage.createFlag({ key: 'checkout', flagType: 'string', defaultValue: 'new' });
    }
    expect(await client.getStringDetails('checkout', 'fallback')).toMatchObject({
      value: 'new',
      reason: 'STATIC',
    });
    expect(await health.isHealthy()).toMatchObject({ feature_flags: { status: 'up' } });
    expect(unhandled).toEqual([]);
  }, 90_000);
});
