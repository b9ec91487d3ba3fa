import type * as NestTesting from '@nestjs/testing';
import type * as FeatureFlags from '@gatekeeper/feature-flags';

/** The drivers are optional peers: choosing a backend whose driver is missing fails the boot. */
describe.each([
  ['typeorm', 'database', { backend: 'database', connectionString: 'sqlite::memory:' }],
  ['ioredis', 'redis', { backend: 'redis', redisUrl: 'redis://127.0.0.1:6379/0' }],
] as const)('without %s installed', (driver, backend, options) => {
  afterEach(() => {
    jest.dontMock(driver);
    jest.resetModules();
  });

  it(`loads, serves the memory backend, and fails the ${backend} backend at startup`, async () => {
    jest.resetModules();
    jest.doMock(driver, () => {
      throw Object.assign(new Error(`Cannot find module '${driver}'`), {
        code: 'MODULE_NOT_FOUND',
      });
    });
    // Loaded only now (with a Nest of the same fresh registry), so the mock decides what they find.
    const flags = jest.requireActual<typeof FeatureFlags>('@gatekeeper/feature-flags');
    const { Test } = jest.requireActual<typeof NestTesting>('@nestjs/testing');

    const memory = await Test.createTestingModule({
      imports: [flags.FeatureFlagsModule.forRoot({})],
    }).compile();
    await memory.close();

    await expect(
      Test.createTestingModule({
        imports: [flags.FeatureFlagsModule.forRoot(options)],
      }).compile(),
    ).rejects.toThrow(`install ${driver} to use the ${backend} backend`);
  });
});
