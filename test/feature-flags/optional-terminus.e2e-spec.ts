import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type * as FeatureFlags from '@gatekeeper/feature-flags';

describe('without @nestjs/terminus installed', () => {
  it('loads and serves flags; only the health indicator needs Terminus', async () => {
    jest.doMock('@nestjs/terminus', () => {
      throw Object.assign(new Error("Cannot find module '@nestjs/terminus'"), {
        code: 'MODULE_NOT_FOUND',
      });
    });
    // Loaded only now, so the line above decides what it finds.
    const flags = jest.requireActual<typeof FeatureFlags>('@gatekeeper/feature-flags');

    @Controller()
    class BetaController {
      @Get('beta')
      @flags.FeatureFlag('beta')
      beta() {
        return { beta: true };
      }
    }

    @Module({
      imports: [flags.FeatureFlagsModule.forRoot({})],
      controllers: [BetaController],
    })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const storage = app.get<FeatureFlags.FeatureFlagStorage>(flags.FEATURE_FLAG_STORAGE);
    await storage.createFlag({ key: 'beta', defaultEnabled: true });
    await request(app.getHttpServer()).get('/beta').expect(200, { beta: true });
    await app.close();

    await expect(
      Test.createTestingModule({
        imports: [flags.FeatureFlagsModule.forRoot({ isGlobal: true })],
        providers: [flags.FeatureFlagsHealthIndicator],
      }).compile(),
    ).rejects.toThrow(/install @nestjs\/terminus to use FeatureFlagsHealthIndicator/);
  });
});
