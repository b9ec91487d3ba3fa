import {
  ApiKeyService,
  ExpiredApiKeyError,
  InvalidApiKeyError,
  LocalCacheApiKeyStorage,
  MemoryApiKeyStorage,
  RevokedApiKeyError,
  UnknownApiKeyError,
  type ApiKey,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestApp, FakeClock } from './fixtures/api-auth-test-app';
import { tracedStorage, unreachableStorage, type CallCounts } from './fixtures/wrapped-storage';

const input = { name: 'ci', ownerId: 'owner-1', scopes: ['reports:read'] };

/** Every storage arrangement verification must get right, whatever it answers with. */
const STORAGES: Array<[string, () => ApiKeyStorage]> = [
  ['memory', () => new MemoryApiKeyStorage()],
  ['memory behind a tracing Proxy', () => tracedStorage(new MemoryApiKeyStorage())],
  ['local cache', () => new LocalCacheApiKeyStorage(new MemoryApiKeyStorage(), { ttl: 60 })],
  [
    'local cache behind a tracing Proxy',
    () => tracedStorage(new LocalCacheApiKeyStorage(new MemoryApiKeyStorage(), { ttl: 60 })),
  ],
  [
    'local cache over a tracing Proxy',
    () => new LocalCacheApiKeyStorage(tracedStorage(new MemoryApiKeyStorage()), { ttl: 60 }),
  ],
];

describe.each(STORAGES)('verification over %s', (_name, open) => {
  let clock: FakeClock;
  let app: INestApplication;
  let apiKeys: ApiKeyService;

  beforeEach(async () => {
    clock = new FakeClock();
    app = await createTestApp({ auth: { storage: open() }, clock });
    apiKeys = app.get(ApiKeyService);
  });

  afterEach(() => app.close());

  const get = (key: string) => request(app.getHttpServer()).get('/local/me').set('x-api-key', key);

  it('accepts a valid key, again and again, through the service and over HTTP', async () => {
    const { key, apiKey } = await apiKeys.create(input);
    for (let i = 0; i < 3; i++) {
      await expect(apiKeys.verify(key)).resolves.toMatchObject({
        id: apiKey.id,
        scopes: ['reports:read'],
      });
      const res = await get(key).expect(200);
      expect(res.body).toEqual({ id: apiKey.id, ownerId: 'owner-1', name: 'ci' });
    }
    await request(app.getHttpServer()).get('/local/reports').set('x-api-key', key).expect(200);
    await request(app.getHttpServer()).post('/local/items').set('x-api-key', key).expect(403);
  });

  it('refuses unknown, malformed, revoked and expired keys', async () => {
    const unknown = await apiKeys.create(input);
    await apiKeys.delete(unknown.apiKey.id);
    await expect(apiKeys.verify(unknown.key)).rejects.toBeInstanceOf(UnknownApiKeyError);
    await expect(apiKeys.verify('sk_nope')).rejects.toBeInstanceOf(InvalidApiKeyError);
    expect((await get(unknown.key).expect(401)).body.code).toBe('invalid_api_key');
    expect((await get('sk_nope').expect(401)).body.code).toBe('invalid_api_key');

    const revoked = await apiKeys.create(input);
    await get(revoked.key).expect(200);
    await apiKeys.revoke(revoked.apiKey.id);
    await expect(apiKeys.verify(revoked.key)).rejects.toBeInstanceOf(RevokedApiKeyError);
    expect((await get(revoked.key).expect(401)).body.code).toBe('revoked_api_key');

    const expiresAt = new Date(clock.now().getTime() + 60_000);
    const expiring = await apiKeys.create({ ...input, expiresAt });
    await get(expiring.key).expect(200);
    clock.advance(60);
    await expect(apiKeys.verify(expiring.key)).rejects.toBeInstanceOf(ExpiredApiKeyError);
    expect((await get(expiring.key).expect(401)).body.code).toBe('expired_api_key');
  });
});

describe('storage lookups per verification', () => {
  let calls: CallCounts;
  let app: INestApplication;
  let apiKeys: ApiKeyService;

  beforeEach(async () => {
    calls = {};
    const storage = new LocalCacheApiKeyStorage(tracedStorage(new MemoryApiKeyStorage(), calls), {
      ttl: 60,
    });
    app = await createTestApp({ auth: { storage } });
    apiKeys = app.get(ApiKeyService);
  });

  afterEach(() => app.close());

  const get = (key: string) => request(app.getHttpServer()).get('/local/me').set('x-api-key', key);

  it('is one on a cache miss, none on a hit, and none for a malformed key', async () => {
    const { key } = await apiKeys.create(input);
    await get(key).expect(200);
    expect(calls.getByHash).toBe(1);
    await get(key).expect(200);
    await apiKeys.verify(key);
    expect(calls.getByHash).toBe(1);

    const unknown = `${key.slice(0, 3)}${'a'.repeat(32)}3i8aJj`;
    await get(unknown).expect(401);
    await get(unknown).expect(401);
    expect(calls.getByHash).toBe(3); // unknown keys are never cached
    await get(`${key}x`).expect(401);
    expect(calls.getByHash).toBe(3);
  });

  it('reads through a subclass that overrides getByHash', async () => {
    let reads = 0;
    class CountingCache extends LocalCacheApiKeyStorage {
      override async getByHash(keyHash: string): Promise<ApiKey | null> {
        reads += 1;
        return super.getByHash(keyHash);
      }
    }
    const storage = new CountingCache(new MemoryApiKeyStorage(), { ttl: 60 });
    const service = new ApiKeyService(storage, {}, new FakeClock());
    const { key, apiKey } = await service.create(input);
    await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
    await expect(service.verify(key)).resolves.toMatchObject({ id: apiKey.id });
    expect(reads).toBe(2);
  });
});

describe('a storage whose every call fails', () => {
  it.each([
    ['alone', () => unreachableStorage()],
    [
      'behind the local cache',
      () => new LocalCacheApiKeyStorage(unreachableStorage(), { ttl: 60 }),
    ],
  ])('%s: verify rejects with its error, the guard answers 503, never a pass', async (_n, open) => {
    const app = await createTestApp({ auth: { storage: open() } });
    const key = `sk_${'a'.repeat(32)}3i8aJj`; // well-formed
    try {
      await expect(app.get(ApiKeyService).verify(key)).rejects.toThrow('ECONNREFUSED');
      const res = await request(app.getHttpServer()).get('/local/me').set('x-api-key', key);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        statusCode: 503,
        message: 'Authentication is temporarily unavailable',
        code: 'auth_unavailable',
      });
      const malformed = await request(app.getHttpServer()).get('/local/me').set('x-api-key', 'x');
      expect(malformed.status).toBe(401); // refused before any lookup
    } finally {
      await app.close();
    }
  });
});
