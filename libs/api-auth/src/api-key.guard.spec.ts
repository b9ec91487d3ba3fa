import { ExecutionContext, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiAuthClock } from './api-auth.clock';
import { API_KEY_REQUEST_PROPERTY } from './api-auth.constants';
import { ApiKeyUnauthorizedException } from './api-auth.exceptions';
import type { ApiAuthModuleOptions } from './api-auth.options';
import { ApiKeyGuard, type ApiKeyRequest } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { MemoryApiKeyStorage } from './storage/memory.storage';
import { LocalCacheApiKeyStorage } from './storage/local-cache.storage';

function httpContext(
  request: ApiKeyRequest,
  response: Record<string, unknown> = {},
): ExecutionContext {
  const handler = () => undefined;
  class Controller {}
  return {
    getHandler: () => handler,
    getClass: () => Controller,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
}

describe('ApiKeyGuard hooks', () => {
  const clock: ApiAuthClock = { now: () => new Date('2030-01-01T00:00:00Z') };
  const options: ApiAuthModuleOptions = { lastUsedInterval: 3600 };
  let service: ApiKeyService;

  afterEach(() => jest.restoreAllMocks());

  beforeEach(() => {
    service = new ApiKeyService(new MemoryApiKeyStorage(), options, clock);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  it('lets a subclass read the key from elsewhere', async () => {
    class QueryKeyGuard extends ApiKeyGuard {
      protected override extractKey(request: ApiKeyRequest): string | undefined {
        return (request.query as Record<string, string>).key;
      }
    }
    const guard = new QueryKeyGuard(service, options, new Reflector());
    const { key, apiKey } = await service.create({ name: 'n', ownerId: 'o', scopes: [] });
    const request: ApiKeyRequest = { headers: {}, query: { key } };
    await expect(guard.canActivate(httpContext(request))).resolves.toBe(true);
    expect(request[API_KEY_REQUEST_PROPERTY]).toMatchObject({ id: apiKey.id });
  });

  it('lets a subclass choose what to throw', async () => {
    class TeapotGuard extends ApiKeyGuard {
      protected override toHttpException(): HttpException {
        return new HttpException('no', HttpStatus.I_AM_A_TEAPOT);
      }
    }
    const guard = new TeapotGuard(service, options, new Reflector());
    await expect(guard.canActivate(httpContext({ headers: {} }))).rejects.toMatchObject({
      status: HttpStatus.I_AM_A_TEAPOT,
    });
  });

  it('admits a key answered by the local cache synchronously, and still refuses with a promise', async () => {
    const storage = new LocalCacheApiKeyStorage(new MemoryApiKeyStorage(), { ttl: 5 });
    service = new ApiKeyService(storage, options, clock);
    const guard = new ApiKeyGuard(service, options, new Reflector());
    const { key, apiKey } = await service.create({ name: 'n', ownerId: 'o', scopes: [] });
    const request = (): ApiKeyRequest => ({ headers: { 'x-api-key': key } });

    await expect(guard.canActivate(httpContext(request()))).resolves.toBe(true);
    const cachedRequest = request();
    expect(guard.canActivate(httpContext(cachedRequest))).toBe(true);
    expect(cachedRequest[API_KEY_REQUEST_PROPERTY]).toMatchObject({ id: apiKey.id });

    const refused = guard.canActivate(httpContext({ headers: { 'x-api-key': `${key}x` } }));
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toBeInstanceOf(ApiKeyUnauthorizedException);
    await storage.close();
  });

  it('sets WWW-Authenticate on a raw Node response too', async () => {
    const guard = new ApiKeyGuard(service, options, new Reflector());
    const headers: Record<string, string> = {};
    const response = { setHeader: (name: string, value: string) => (headers[name] = value) };
    await expect(
      guard.canActivate(httpContext({ headers: { 'x-api-key': 'nope' } }, response)),
    ).rejects.toBeInstanceOf(ApiKeyUnauthorizedException);
    expect(headers['WWW-Authenticate']).toContain('error="invalid_token"');
  });
});
