import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OpenFeature, ProviderEvents } from '@openfeature/nestjs-sdk';
import request from 'supertest';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { StorefrontModule } from './openfeature/app/storefront.module';

const APP_FILES = ['storefront.module.ts', 'storefront.controller.ts'];

/** The TypeScript blocks of the README's OpenFeature section that start with `// <file name>`. */
function readmeFiles(): Map<string, string> {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf('### OpenFeature');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const files = new Map<string, string>();
  for (const [, code] of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ (\S+\.ts)\n/.exec(code)?.[1];
    if (name) files.set(name, code);
  }
  return files;
}

describe('GatekeeperProvider as the default provider of @openfeature/nestjs-sdk', () => {
  it.each(APP_FILES)('the README shows %s exactly as tested here', (file) => {
    const tested = readFileSync(join(__dirname, 'openfeature/app', file), 'utf8');
    expect(readmeFiles().get(file)).toBe(tested);
  });

  describe('the app, over HTTP', () => {
    let app: INestApplication;
    let storage: FeatureFlagStorage;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [StorefrontModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      // What an authentication guard would do: the caller's id on request.user.
      type Req = { headers: Record<string, unknown>; user?: { id: string } };
      app.use((req: Req, _res: unknown, next: () => void) => {
        const user = req.headers['x-user'];
        if (typeof user === 'string') req.user = { id: user };
        next();
      });
      await app.init();
      storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
      // The module sets the provider as it is defined; initializing it is a health check. A READY
      // handler runs at once when the provider is already ready.
      await new Promise<void>((resolve) =>
        OpenFeature.getClient().addHandler(ProviderEvents.Ready, () => resolve()),
      );
      expect(OpenFeature.getProviderMetadata().name).toBe('gatekeeper');
    });

    afterAll(async () => {
      await app.close();
    });

    it('@RequireFlagsEnabled: 404 while the flag is off or missing, the handler once it is on', async () => {
      await request(app.getHttpServer()).get('/store/checkout').expect(404);
      const flag = await storage.createFlag({
        key: 'new-checkout',
        defaultEnabled: false,
        rules: [
          {
            name: 'germany',
            conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
            serveEnabled: true,
          },
        ],
      });
      await request(app.getHttpServer()).get('/store/checkout').expect(404);
      // The request context (here the country header) reaches the provider through contextFactory.
      await request(app.getHttpServer())
        .get('/store/checkout')
        .set('x-country-code', 'de')
        .expect(200, { checkout: 'new' });
      // An override for one user, by the id on request.user.
      await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u-42',
        enabled: true,
      });
      await request(app.getHttpServer())
        .get('/store/checkout')
        .set('x-user', 'u-42')
        .expect(200, { checkout: 'new' });
      await request(app.getHttpServer()).get('/store/checkout').set('x-user', 'u-7').expect(404);
    });

    it('@BooleanFeatureFlag: the details Gatekeeper resolved, OpenFeature reasons included', async () => {
      await request(app.getHttpServer())
        .get('/store/banner')
        .expect(200)
        .expect((res) => expect(res.body).toMatchObject({ show: false, reason: 'ERROR' }));
      await storage.createFlag({
        key: 'holiday-banner',
        flagType: 'boolean',
        variants: [
          { key: 'shown', value: true, weight: 0 },
          { key: 'hidden', value: false, weight: 0 },
        ],
        defaultVariant: 'hidden',
        rules: [
          {
            name: 'poland',
            conditions: [{ attribute: 'country', operator: 'eq', value: 'PL' }],
            serveVariant: 'shown',
          },
        ],
      });
      await request(app.getHttpServer())
        .get('/store/banner')
        .set('x-country-code', 'pl')
        .expect(200, { show: true, variant: 'shown', reason: 'TARGETING_MATCH' });
      await request(app.getHttpServer())
        .get('/store/banner')
        .set('x-country-code', 'fr')
        .expect(200, { show: false, variant: 'hidden', reason: 'DEFAULT' });
    });

    it('@OpenFeatureClient: the injected client agrees with FeatureFlagClient', async () => {
      await request(app.getHttpServer()).get('/store/theme').expect(200, { theme: 'light' });
      const theme = await storage.createFlag({
        key: 'theme',
        flagType: 'string',
        defaultValue: 'dark',
      });
      await request(app.getHttpServer()).get('/store/theme').expect(200, { theme: 'dark' });
      await storage.updateFlag({ ...theme, status: 'inactive' });
      // Disabled: OpenFeature answers the caller's default; FeatureFlagClient the flag's own.
      await request(app.getHttpServer()).get('/store/theme').expect(200, { theme: 'light' });
      const direct = new FeatureFlagClient({ storage, logger: false });
      expect(await direct.getStringDetails('theme', 'light')).toMatchObject({
        reason: 'DISABLED',
      });
    });
  });
});
