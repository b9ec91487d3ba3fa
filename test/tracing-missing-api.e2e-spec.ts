import { Controller, Get, type INestApplication, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type * as ApiAuth from '@gatekeeper/api-auth';
import type * as FeatureFlags from '@gatekeeper/feature-flags';

/** What `require` throws for a package that is not installed. */
function notInstalled(name: string): () => never {
  return () => {
    throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
  };
}

describe('both packages without @opentelemetry/api installed (an optional peer)', () => {
  // Loaded after the mock below, so the libraries see the API as missing.
  let flags: typeof FeatureFlags;
  let auth: typeof ApiAuth;

  beforeAll(() => {
    jest.doMock('@opentelemetry/api', notInstalled('@opentelemetry/api'));
    flags = jest.requireActual<typeof FeatureFlags>('@gatekeeper/feature-flags');
    auth = jest.requireActual<typeof ApiAuth>('@gatekeeper/api-auth');
  });

  afterAll(() => jest.dontMock('@opentelemetry/api'));

  it('load, and guard routes as usual while tracing is off', async () => {
    @Controller()
    class RoutesController {
      @Get('beta')
      @flags.FeatureFlag('beta')
      beta() {
        return { ok: true };
      }

      @Get('private')
      @UseGuards(auth.ApiKeyGuard)
      private() {
        return { ok: true };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [flags.FeatureFlagsModule.forRoot({}), auth.ApiAuthModule.forRoot({})],
      controllers: [RoutesController],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      await app.get<FeatureFlags.FeatureFlagStorage>(flags.FEATURE_FLAG_STORAGE).createFlag({
        key: 'beta',
        defaultEnabled: true,
      });
      const { key } = await app
        .get(auth.ApiKeyService)
        .create({ name: 'k', ownerId: 'o', scopes: [] });
      await request(app.getHttpServer()).get('/beta').expect(200);
      await request(app.getHttpServer()).get('/private').set('x-api-key', key).expect(200);
      await request(app.getHttpServer()).get('/private').expect(401);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['FeatureFlagsModule', () => flags.FeatureFlagsModule.forRoot({ tracing: true })],
    ['ApiAuthModule', () => auth.ApiAuthModule.forRoot({ tracing: true })],
  ])('%s with tracing: true fails at startup saying to install it', async (_name, module) => {
    const error: unknown = await Test.createTestingModule({ imports: [module()] })
      .compile()
      .then((moduleRef) => moduleRef.close())
      .catch((failure: unknown) => failure);
    expect(error).toMatchObject({
      name: 'MissingDriverError',
      message: expect.stringMatching(/^install @opentelemetry\/api /),
    });
  });

  it('GatekeeperTracingHook says to install it when built', () => {
    expect(() => new flags.GatekeeperTracingHook()).toThrow(/^install @opentelemetry\/api /);
  });
});
