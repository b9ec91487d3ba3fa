import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Request } from 'express';
import {
  defaultContextResolver,
  FEATURE_FLAG_STORAGE,
  FeatureFlag,
  FeatureFlagsModule,
  MemoryFeatureFlagStorage,
  type FeatureFlagsModuleOptions,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';

/**
 * Segments and environments as a service meets them: `@FeatureFlag` on routes, the context from
 * the request (a country header, a plan header), the environment from the module's config
 * (`defaultContext`) or from a header read by a custom `contextResolver`.
 */
@Controller()
class ShopController {
  @Get('eu-premium')
  @FeatureFlag('eu-premium-checkout')
  euPremium() {
    return { checkout: 'premium-eu' };
  }

  @Get('dark-mode')
  @FeatureFlag('dark-mode')
  darkMode() {
    return { theme: 'dark' };
  }
}

/** The default context plus the plan (a header standing in for the user's record). */
const withPlan = (req: Request) => ({
  ...defaultContextResolver(req),
  attributes: { plan: req.header('x-plan') },
});

/** Polls (at most 2 s) until the route answers `status`; the last status seen. */
async function statusWithin(app: INestApplication, path: string, status: number): Promise<number> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const { status: seen } = await request(app.getHttpServer()).get(path);
    if (seen === status || Date.now() > deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const STORES: Array<{ name: string; options: () => FeatureFlagsModuleOptions }> = [
  // One storage instance for all the apps of a test: what a shared store is to real instances.
  { name: 'memory', options: () => ({ storage: new MemoryFeatureFlagStorage() }) },
  {
    name: 'redis with a local cache',
    options: () => ({
      backend: 'redis',
      redisUrl: testUrls().redis,
      redisPrefix: `${uniqueName('tg:')}:`,
      localCache: { ttl: 60 },
    }),
  },
];

describe.each(STORES)('Targeting through @FeatureFlag on $name', ({ options }) => {
  const apps: INestApplication[] = [];
  let store: FeatureFlagsModuleOptions;

  beforeEach(() => {
    store = options();
  });

  const start = async (extra: FeatureFlagsModuleOptions) => {
    @Module({
      imports: [FeatureFlagsModule.forRoot({ ...store, ...extra })],
      controllers: [ShopController],
    })
    class ShopModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ShopModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    return { app, storage: app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE) };
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('serves a route to members of a nested segment only', async () => {
    const { app, storage } = await start({ contextResolver: withPlan });
    const eu = await storage.createSegment!({
      name: uniqueName('eu-'),
      conditions: [{ attribute: 'country', operator: 'in', value: ['DE', 'FR', 'IT'] }],
    });
    const premiumEu = await storage.createSegment!({
      name: uniqueName('premium-eu-'),
      parentSegmentId: eu.id,
      conditions: [{ attribute: 'plan', operator: 'eq', value: 'premium' }],
    });
    await storage.createFlag({
      key: 'eu-premium-checkout',
      rules: [
        {
          name: 'premium in the EU',
          conditions: [{ attribute: 'segment', operator: 'in_segment', value: premiumEu.name }],
        },
      ],
    });
    const get = (country: string, plan: string) =>
      request(app.getHttpServer())
        .get('/eu-premium')
        .set('cf-ipcountry', country)
        .set('x-plan', plan);

    await get('DE', 'premium').expect(200, { checkout: 'premium-eu' });
    await get('DE', 'free').expect(404);
    await get('US', 'premium').expect(404);

    // Narrowing the parent segment changes who is in the child.
    await storage.updateSegment!({
      ...eu,
      conditions: [{ attribute: 'country', operator: 'eq', value: 'FR' }],
    });
    await get('DE', 'premium').expect(404);
    await get('FR', 'premium').expect(200);
  });

  it('takes the environment from the module config, with inheritance from the parent', async () => {
    const production = uniqueName('production-');
    const { app, storage } = await start({ defaultContext: { environment: production } });
    const flag = await storage.createFlag({ key: 'dark-mode', defaultEnabled: true });
    const base = await storage.createEnvironment!({ name: 'Production', slug: production });
    await request(app.getHttpServer()).get('/dark-mode').expect(200);
    await storage.createEnvironmentFlag!({
      environmentId: base.id,
      flagId: flag.id,
      enabled: false,
    });
    await request(app.getHttpServer()).get('/dark-mode').expect(404);

    // A second service configured for a child environment inherits the setting...
    const canary = uniqueName('canary-');
    const child = await storage.createEnvironment!({
      name: 'Canary',
      slug: canary,
      parentId: base.id,
    });
    const canaryApp = (await start({ defaultContext: { environment: canary } })).app;
    await request(canaryApp.getHttpServer()).get('/dark-mode').expect(404);
    // ...until it sets its own.
    await storage.createEnvironmentFlag!({
      environmentId: child.id,
      flagId: flag.id,
      enabled: true,
    });
    // Another instance: the change reaches it over pub/sub, within the propagation bound.
    expect(await statusWithin(canaryApp, '/dark-mode', 200)).toBe(200);
    await request(app.getHttpServer()).get('/dark-mode').expect(404);
  });

  it('takes the environment from a header through a custom context resolver', async () => {
    const staging = uniqueName('staging-');
    const { app, storage } = await start({
      contextResolver: (req: Request) => ({
        ...defaultContextResolver(req),
        environment: req.header('x-environment'),
      }),
    });
    const flag = await storage.createFlag({ key: 'dark-mode', defaultEnabled: false });
    const environment = await storage.createEnvironment!({ name: 'Staging', slug: staging });
    await storage.createEnvironmentFlag!({
      environmentId: environment.id,
      flagId: flag.id,
      enabled: true,
    });
    // The flag is on in staging only; an unknown environment is the flag itself.
    await request(app.getHttpServer()).get('/dark-mode').set('x-environment', staging).expect(200);
    await request(app.getHttpServer()).get('/dark-mode').expect(404);
    await request(app.getHttpServer()).get('/dark-mode').set('x-environment', 'nope').expect(404);
    await request(app.getHttpServer())
      .get('/dark-mode')
      .set('x-environment', 'Not A Slug \u00e9')
      .expect(404);
  });
});
