import { Test } from '@nestjs/testing';
import type * as ApiAuth from '@gatekeeper/api-auth';

/** What `require` throws for a package that is not installed. */
function notInstalled(name: string): () => never {
  return () => {
    throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
  };
}

describe('ApiAuthModule without an optional driver installed', () => {
  // Loaded after the mocks below, so the library sees the drivers as missing.
  let apiAuth: typeof ApiAuth;

  beforeAll(() => {
    jest.doMock('ioredis', notInstalled('ioredis'));
    jest.doMock('typeorm', notInstalled('typeorm'));
    apiAuth = jest.requireActual<typeof ApiAuth>('@gatekeeper/api-auth');
  });

  afterAll(() => {
    jest.dontMock('ioredis');
    jest.dontMock('typeorm');
  });

  async function boot(options: ApiAuth.ApiAuthModuleOptions): Promise<unknown> {
    return Test.createTestingModule({ imports: [apiAuth.ApiAuthModule.forRoot(options)] })
      .compile()
      .then((moduleRef) => moduleRef.close())
      .catch((error: unknown) => error);
  }

  it('still loads and serves the memory backend', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [apiAuth.ApiAuthModule.forRoot({})],
    }).compile();
    const { key } = await moduleRef
      .get(apiAuth.ApiKeyService)
      .create({ name: 'k', ownerId: 'o', scopes: [] });
    await expect(moduleRef.get(apiAuth.ApiKeyService).verify(key)).resolves.toMatchObject({
      ownerId: 'o',
    });
    await moduleRef.close();
  });

  it("backend 'redis' fails at startup saying to install ioredis", async () => {
    const error = await boot({ backend: 'redis', redisUrl: 'redis://:hunter2@localhost:6379/0' });
    expect(error).toMatchObject({
      name: 'MissingDriverError',
      message: expect.stringMatching(/^install ioredis to use the redis backend/),
    });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it("backend 'database' fails at startup saying to install typeorm", async () => {
    const error = await boot({ backend: 'database', connectionString: 'sqlite::memory:' });
    expect(error).toMatchObject({
      name: 'MissingDriverError',
      message: expect.stringMatching(/^install typeorm to use the database backend/),
    });
  });
});
