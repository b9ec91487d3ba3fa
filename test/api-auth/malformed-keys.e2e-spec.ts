import {
  ApiKeyService,
  DatabaseApiKeyStorage,
  generateApiKey,
  RedisApiKeyStorage,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import { createTestDatabase, testUrls, uniqueName } from '../harness/servers';
import { createTestApp } from './fixtures/api-auth-test-app';
import { tracedStorage, type CallCounts } from './fixtures/wrapped-storage';

/**
 * A malformed key is refused without a storage lookup (DESIGN.md), after a stand-in wait that
 * imitates one. What a client can see must not tell the two apart; how long each takes is
 * measured by `npm run bench` (part f), not here.
 */
const BACKENDS: Array<[string, () => Promise<{ storage: ApiKeyStorage; close(): Promise<void> }>]> =
  [
    [
      'sqlite',
      async () => {
        const storage = await DatabaseApiKeyStorage.create({
          connectionString: 'sqlite::memory:',
        });
        return { storage, close: () => storage.close() };
      },
    ],
    [
      'postgres',
      async () => {
        const storage = await DatabaseApiKeyStorage.create({
          connectionString: await createTestDatabase('postgres'),
          tablePrefix: uniqueName('t'),
        });
        return { storage, close: () => storage.close() };
      },
    ],
    [
      'redis',
      async () => {
        const redis = new Redis(testUrls().redis);
        const storage = new RedisApiKeyStorage(redis, { prefix: uniqueName('malformed:') });
        return { storage, close: async () => void (await redis.quit()) };
      },
    ],
  ];

/** Headers that differ between any two responses (the clock), or say nothing about the key. */
const VARYING = new Set(['date']);

function visibleHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)));
}

describe.each(BACKENDS)('malformed and unknown keys over %s', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let calls: CallCounts;
  let app: INestApplication;
  let valid: string;

  beforeAll(async () => {
    backend = await open();
    calls = {};
    app = await createTestApp({ auth: { storage: tracedStorage(backend.storage, calls) } });
    valid = (await app.get(ApiKeyService).create({ name: 'ci', ownerId: 'o', scopes: [] })).key;
  });

  afterAll(async () => {
    await app.close();
    await backend.close();
  });

  const get = (header: string, value: string) =>
    request(app.getHttpServer()).get('/local/me').set(header, value);

  it('get the same status, body and headers, whichever header carries them', async () => {
    const unknown = generateApiKey();
    const malformed = `${valid.slice(0, -1)}${valid.endsWith('a') ? 'b' : 'a'}`;
    for (const [header, prefix] of [
      ['x-api-key', ''],
      ['authorization', 'Bearer '],
    ]) {
      const a = await get(header, prefix + unknown);
      const b = await get(header, prefix + malformed);
      const c = await get(header, `${prefix}sk_${'\u00e9'.repeat(40)}`);
      expect(a.status).toBe(401);
      expect(a.body).toEqual({
        statusCode: 401,
        message: 'Invalid API key',
        code: 'invalid_api_key',
      });
      for (const other of [b, c]) {
        expect(other.status).toBe(a.status);
        expect(other.text).toBe(a.text);
        expect(visibleHeaders(other.headers)).toEqual(visibleHeaders(a.headers));
      }
    }
  });

  it('malformed keys never reach the storage, however many unknown ones it has answered', async () => {
    const before = calls.getByHash ?? 0;
    const rounds = 25;
    for (let i = 0; i < rounds; i++) {
      await get('x-api-key', generateApiKey()).expect(401);
      await get('x-api-key', `sk_${i}`).expect(401);
      await get('x-api-key', `${generateApiKey().slice(0, -1)}!`).expect(401);
    }
    expect((calls.getByHash ?? 0) - before).toBe(rounds);
    // The valid key still works in between.
    await get('x-api-key', valid).expect(200);
  });

  it('answers every one of a burst of mixed keys', async () => {
    const keys = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? valid : i % 3 === 1 ? generateApiKey() : `junk-${i}`,
    );
    const statuses = await Promise.all(
      keys.map(async (key) => (await get('x-api-key', key)).status),
    );
    expect(statuses).toEqual(keys.map((_, i) => (i % 3 === 0 ? 200 : 401)));
  });
});
