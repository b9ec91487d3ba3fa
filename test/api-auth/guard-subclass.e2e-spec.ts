import {
  API_AUTH_MODULE_OPTIONS,
  ApiAuthModule,
  ApiKeyGuard,
  ApiKeyService,
  CurrentApiKey,
  MemoryApiKeyStorage,
  Public,
  RequireScopes,
  type ApiAuthModuleOptions,
  type ApiKeyRequest,
} from '@gatekeeper/api-auth';
import {
  Controller,
  Get,
  HttpException,
  Inject,
  Injectable,
  Module,
  UseGuards,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';

/** A dependency of the subclass of its own, to show that DI builds it with its constructor. */
@Injectable()
class RefusalLog {
  readonly codes: string[] = [];
}

/**
 * Reads the key from `?api_key=` or an `api_key` cookie (asynchronously, as a session lookup
 * would) and answers every refusal with the application's own error body.
 */
@Injectable()
class QueryKeyGuard extends ApiKeyGuard {
  constructor(
    apiKeys: ApiKeyService,
    @Inject(API_AUTH_MODULE_OPTIONS) options: ApiAuthModuleOptions,
    reflector: Reflector,
    private readonly refusals: RefusalLog,
  ) {
    super(apiKeys, options, reflector);
  }

  protected override async extractKey(request: ApiKeyRequest): Promise<string | undefined> {
    const query = request.query as Record<string, string | undefined>;
    const cookies = String(request.headers?.cookie ?? '').split(';');
    const cookie = cookies.map((c) => c.trim()).find((c) => c.startsWith('api_key='));
    return query.api_key ?? cookie?.slice('api_key='.length);
  }

  protected override toHttpException(error: unknown): HttpException {
    const exception = super.toHttpException(error);
    const { code } = exception.getResponse() as { code: string };
    this.refusals.codes.push(code);
    return new HttpException({ error: 'access_denied', reason: code }, exception.getStatus());
  }
}

/** Bound per controller. */
@Controller('reports')
@UseGuards(QueryKeyGuard)
class ReportsController {
  @Get()
  @RequireScopes('reports:read')
  list(@CurrentApiKey('ownerId') ownerId: string) {
    return { ownerId };
  }

  @Public()
  @Get('open')
  open() {
    return { open: true };
  }
}

/** Bound globally (APP_GUARD). */
@Controller('everything')
@RequireScopes('reports:read')
class EverythingController {
  @Get()
  list(@CurrentApiKey('ownerId') ownerId: string) {
    return { ownerId };
  }

  @Public()
  @Get('open')
  open() {
    return { open: true };
  }
}

const CHALLENGE = 'Bearer realm="api", ApiKey realm="api", header="x-api-key"';
const INVALID_CHALLENGE =
  'Bearer realm="api", error="invalid_token", ApiKey realm="api", header="x-api-key"';

describe.each([
  ['@UseGuards(QueryKeyGuard)', ReportsController, [], '/reports'],
  [
    'APP_GUARD with useClass: QueryKeyGuard',
    EverythingController,
    [{ provide: APP_GUARD, useClass: QueryKeyGuard }],
    '/everything',
  ],
] as Array<[string, Type, unknown[], string]>)(
  'a subclass of ApiKeyGuard bound with %s',
  (_how, controller, guards, path) => {
    const storage = new MemoryApiKeyStorage();
    let app: INestApplication;
    let apiKeys: ApiKeyService;
    let key: string;

    beforeAll(async () => {
      @Module({
        imports: [ApiAuthModule.forRoot({ storage })],
        controllers: [controller],
        providers: [RefusalLog, ...(guards as [])],
      })
      class AppModule {}
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      apiKeys = app.get(ApiKeyService);
      ({ key } = await apiKeys.create({ name: 'n', ownerId: 'o-1', scopes: ['reports:read'] }));
    });

    afterAll(() => app.close());

    const http = () => request(app.getHttpServer());

    it('admits the key from the query string or a cookie; @Public() routes need none', async () => {
      await http().get(`${path}?api_key=${key}`).expect(200, { ownerId: 'o-1' });
      await http()
        .get(path)
        .set('Cookie', `theme=dark; api_key=${key}`)
        .expect(200, { ownerId: 'o-1' });
      await http().get(`${path}/open`).expect(200, { open: true });
    });

    it('answers a missing key with its own body, a 401 and the challenge', async () => {
      // The default header is not where this guard looks.
      const res = await http().get(path).set('x-api-key', key).expect(401);
      expect(res.body).toEqual({ error: 'access_denied', reason: 'missing_api_key' });
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    });

    it('answers an invalid or revoked key with its own body', async () => {
      const res = await http().get(`${path}?api_key=sk_nope`).expect(401);
      expect(res.body).toEqual({ error: 'access_denied', reason: 'invalid_api_key' });
      expect(res.headers['www-authenticate']).toBe(INVALID_CHALLENGE);

      const revoked = await apiKeys.create({ name: 'r', ownerId: 'o-1', scopes: ['reports:read'] });
      await apiKeys.revoke(revoked.apiKey.id);
      const gone = await http().get(path).set('Cookie', `api_key=${revoked.key}`).expect(401);
      expect(gone.body).toEqual({ error: 'access_denied', reason: 'revoked_api_key' });
    });

    it('refuses a key without the route scope with its own 403 body', async () => {
      const { key: weak } = await apiKeys.create({ name: 'w', ownerId: 'o-1', scopes: [] });
      const res = await http().get(`${path}?api_key=${weak}`).expect(403);
      expect(res.body).toEqual({ error: 'access_denied', reason: 'insufficient_scope' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('answers a storage failure with its own 503 body, never a pass', async () => {
      const getByHash = jest.spyOn(storage, 'getByHash').mockRejectedValueOnce(new Error('down'));
      const res = await http().get(`${path}?api_key=${key}`).expect(503);
      expect(res.body).toEqual({ error: 'access_denied', reason: 'auth_unavailable' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      getByHash.mockRestore();
    });

    it('gets its own constructor dependencies from DI', () => {
      expect(app.get(RefusalLog).codes).toEqual(
        expect.arrayContaining(['missing_api_key', 'invalid_api_key', 'insufficient_scope']),
      );
    });
  },
);
