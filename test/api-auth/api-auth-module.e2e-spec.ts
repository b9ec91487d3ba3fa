import { GatekeeperConfigError } from '@gatekeeper/common';
import {
  API_KEY_STORAGE,
  ApiAuthModule,
  ApiKeyGuard,
  ApiKeyService,
  InjectApiKeyStorage,
  MemoryApiKeyStorage,
  type ApiAuthModuleOptions,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import { Controller, Get, Injectable, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createTestApp } from './fixtures/api-auth-test-app';
import { eventually } from '../support/eventually';

describe('ApiAuthModule (e2e)', () => {
  describe('forRootAsync and isGlobal', () => {
    const HEADER = 'HEADER_NAME';

    @Module({ providers: [{ provide: HEADER, useValue: 'x-tenant-key' }], exports: [HEADER] })
    class SettingsModule {}

    /** Uses the guard without importing ApiAuthModule: works because it is global. */
    @Controller('feature')
    @UseGuards(ApiKeyGuard)
    class FeatureController {
      @Get()
      get() {
        return { ok: true };
      }
    }

    @Module({ controllers: [FeatureController] })
    class FeatureModule {}

    it('builds options from injected providers and exposes the guard everywhere', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          ApiAuthModule.forRootAsync({
            isGlobal: true,
            imports: [SettingsModule],
            inject: [HEADER],
            useFactory: (header: string): ApiAuthModuleOptions => ({ header }),
          }),
          FeatureModule,
        ],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      try {
        const { key } = await app
          .get(ApiKeyService)
          .create({ name: 'n', ownerId: 'o', scopes: [] });
        await request(app.getHttpServer()).get('/feature').set('X-Tenant-Key', key).expect(200);
        await request(app.getHttpServer()).get('/feature').expect(401);
      } finally {
        await app.close();
      }
    });
  });

  describe('storage binding', () => {
    @Injectable()
    class KeyCounter {
      constructor(@InjectApiKeyStorage() readonly storage: ApiKeyStorage) {}
    }

    it('binds the storage to API_KEY_STORAGE and @InjectApiKeyStorage()', async () => {
      const storage = new MemoryApiKeyStorage();
      const moduleRef = await Test.createTestingModule({
        imports: [ApiAuthModule.forRoot({ storage, isGlobal: true })],
        providers: [KeyCounter],
      }).compile();
      expect(moduleRef.get(API_KEY_STORAGE)).toBe(storage);
      expect(moduleRef.get(KeyCounter).storage).toBe(storage);
      await moduleRef.close();
    });

    it('leaves a storage instance you pass open on shutdown', async () => {
      const storage = new MemoryApiKeyStorage();
      const close = jest.spyOn(storage, 'close');
      const app = await createTestApp({ auth: { storage } });
      await app.close();
      expect(close).not.toHaveBeenCalled();
    });

    it('closes a storage it built from a class, after in-flight lastUsedAt writes', async () => {
      const events: string[] = [];
      class AuditedStorage extends MemoryApiKeyStorage {
        override async touch(id: string, at: Date) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          events.push('touch');
          return super.touch(id, at);
        }

        override async close() {
          events.push('close');
        }
      }
      const app = await createTestApp({ auth: { storage: AuditedStorage } });
      expect(app.get(API_KEY_STORAGE)).toBeInstanceOf(AuditedStorage);
      const { key } = await app.get(ApiKeyService).create({ name: 'n', ownerId: 'o', scopes: [] });
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
      await app.close();
      expect(events).toEqual(['touch', 'close']);
    });

    it('records lastUsedAt in the background after a request', async () => {
      const storage = new MemoryApiKeyStorage();
      const app = await createTestApp({ auth: { storage } });
      try {
        const { key, apiKey } = await app
          .get(ApiKeyService)
          .create({ name: 'n', ownerId: 'o', scopes: [] });
        expect(apiKey.lastUsedAt).toBeNull();
        await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
        expect(
          await eventually(async () => (await storage.getById(apiKey.id))?.lastUsedAt != null),
        ).toBe(true);
      } finally {
        await app.close();
      }
    });
  });

  describe('startup errors', () => {
    it.each<[ApiAuthModuleOptions, RegExp]>([
      [{ backend: 'redis' }, /redisUrl or redis is required when backend is 'redis'/],
      [{ backend: 'database' }, /connectionString or dataSource is required/],
      [{ keyPrefix: 'has space' }, /keyPrefix must start with a letter/],
      [{ header: 'authorization' }, /always accepted/],
      [{ storage: {} as ApiKeyStorage }, /storage option must implement ApiKeyStorage/],
    ])('fails to start with %p', async (options, message) => {
      const error: unknown = await Test.createTestingModule({
        imports: [ApiAuthModule.forRoot(options)],
      })
        .compile()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatekeeperConfigError);
      expect((error as Error).message).toMatch(message);
    });
  });

  describe('health indicator', () => {
    it('reports up through Terminus, and down with a 503 when the storage fails', async () => {
      const storage = new MemoryApiKeyStorage();
      const app = await createTestApp({ auth: { storage } });
      try {
        const up = await request(app.getHttpServer()).get('/health').expect(200);
        expect(up.body.info).toEqual({ api_auth: { status: 'up' } });

        jest.spyOn(storage, 'healthCheck').mockResolvedValue(false);
        const down = await request(app.getHttpServer()).get('/health').expect(503);
        expect(down.body.error).toEqual({
          api_auth: { status: 'down', reason: 'storage is unreachable' },
        });

        jest.spyOn(storage, 'healthCheck').mockReturnValue(new Promise(() => undefined));
        const hung = await request(app.getHttpServer()).get('/health').expect(503);
        expect(hung.body.error.api_auth.status).toBe('down');
      } finally {
        await app.close();
      }
    });
  });
});
