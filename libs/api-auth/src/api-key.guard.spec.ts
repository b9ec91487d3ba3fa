import { ExecutionContext, Logger } from '@nestjs/common';
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
    getArgByIndex: (index: number) => [request, response][index],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
}

/** The guard's answer, whether it came at once or as a promise. */
const activate = async (guard: ApiKeyGuard, context: ExecutionContext) =>
  guard.canActivate(context);

describe('ApiKeyGuard hooks', () => {
  const clock: ApiAuthClock = { now: () => new Date('2030-01-01T00:00:00Z') };
  const options: ApiAuthModuleOptions = { lastUsedInterval: 3600 };
  let service: ApiKeyService;

  afterEach(() => jest.restoreAllMocks());

  beforeEach(() => {
    service = new ApiKeyService(new MemoryApiKeyStorage(), options, clock);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  it('reads the key of a non-HTTP call through getRequest (subclasses, over HTTP: e2e)', async () => {
    class RpcGuard extends ApiKeyGuard {
      protected override getRequest(context: ExecutionContext): ApiKeyRequest {
        return context.switchToRpc().getContext<ApiKeyRequest>();
      }
    }
    const guard = new RpcGuard(service, options, new Reflector());
    const { key, apiKey } = await service.create({ name: 'n', ownerId: 'o', scopes: [] });
    const call: ApiKeyRequest = { headers: { 'x-api-key': key } };
    const context = { ...httpContext({}), switchToRpc: () => ({ getContext: () => call }) };
    await expect(activate(guard, context as ExecutionContext)).resolves.toBe(true);
    expect(call[API_KEY_REQUEST_PROPERTY]).toMatchObject({ id: apiKey.id });
  });

  it('admits a key found through the local cache, and refuses a wrong one with a 401', async () => {
    const storage = new LocalCacheApiKeyStorage(new MemoryApiKeyStorage(), { ttl: 5 });
    service = new ApiKeyService(storage, options, clock);
    const guard = new ApiKeyGuard(service, options, new Reflector());
    const { key, apiKey } = await service.create({ name: 'n', ownerId: 'o', scopes: [] });
    for (let i = 0; i < 2; i++) {
      const request: ApiKeyRequest = { headers: { 'x-api-key': key } };
      await expect(activate(guard, httpContext(request))).resolves.toBe(true);
      expect(request[API_KEY_REQUEST_PROPERTY]).toMatchObject({ id: apiKey.id });
    }
    const wrong = httpContext({ headers: { 'x-api-key': `${key}x` } });
    await expect(activate(guard, wrong)).rejects.toBeInstanceOf(ApiKeyUnauthorizedException);
    await storage.close();
  });

  it('sets WWW-Authenticate on a raw Node response too', async () => {
    const guard = new ApiKeyGuard(service, options, new Reflector());
    const headers: Record<string, string> = {};
    const response = { setHeader: (name: string, value: string) => (headers[name] = value) };
    await expect(
      activate(guard, httpContext({ headers: { 'x-api-key': 'nope' } }, response)),
    ).rejects.toBeInstanceOf(ApiKeyUnauthorizedException);
    expect(headers['WWW-Authenticate']).toContain('error="invalid_token"');
  });
});
