import {
  createTestStore,
  startDemo,
  STORE_BACKENDS,
  type RunningDemo,
  type TestStore,
} from './support/demo-app';
import type { JsonResponse } from './support/http';

/**
 * Concurrent admins on the flag routes: no lost rule under a burst of adds, and conditional
 * requests (ETag / If-Match) as HTTP clients expect them.
 */
describe.each(STORE_BACKENDS)('demo: concurrent flag admin on %s', (backend) => {
  let store: TestStore;
  let demo: RunningDemo;

  beforeAll(async () => {
    store = await createTestStore(backend);
    demo = await startDemo(store.config);
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  async function call(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Omit<JsonResponse, 'headers'> & { etag: string | null }> {
    const response = await fetch(`${demo.baseUrl}${path}`, {
      method,
      headers: {
        'x-api-key': demo.adminKey!,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      etag: response.headers.get('etag'),
      body: text === '' ? undefined : JSON.parse(text),
    };
  }

  it('keeps every rule of 25 concurrent POST /admin/flags/F/rules', async () => {
    const key = `burst-${backend}`;
    expect((await call('POST', '/admin/flags', { body: { key } })).status).toBe(201);
    const names = Array.from({ length: 25 }, (_, i) => `rule-${i}`);
    const responses = await Promise.all(
      names.map((name) => call('POST', `/admin/flags/${key}/rules`, { body: { name } })),
    );
    expect(responses.map((response) => response.status)).toEqual(names.map(() => 201));
    const flag = await call('GET', `/admin/flags/${key}`);
    expect(flag.body.rules.map((rule: { name: string }) => rule.name).sort()).toEqual(
      [...names].sort(),
    );
    expect(flag.body.version).toBe(26);
    expect(flag.etag).toBe('"26"');
  });

  it('sends the version as ETag and honours If-Match on flag and rule writes', async () => {
    const key = `etag-${backend}`;
    const created = await call('POST', '/admin/flags', { body: { key, name: 'first' } });
    expect(created).toMatchObject({ status: 201, etag: '"1"', body: { version: 1 } });
    const read = await call('GET', `/admin/flags/${key}`);
    expect(read.etag).toBe('"1"');

    const patched = await call('PATCH', `/admin/flags/${key}`, {
      body: { name: 'second' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched).toMatchObject({ status: 200, etag: '"2"', body: { name: 'second' } });

    // Another admin still holding version 1 is refused, and nothing changes.
    for (const stale of ['"1"', 'W/"2"', '"1", "3"', 'garbage']) {
      const refused = await call('PATCH', `/admin/flags/${key}`, {
        body: { name: 'lost update' },
        headers: { 'if-match': stale },
      });
      expect(refused.status).toBe(412);
    }
    expect((await call('GET', `/admin/flags/${key}`)).body).toMatchObject({
      name: 'second',
      version: 2,
    });

    const anyVersion = await call('PATCH', `/admin/flags/${key}`, {
      body: { description: 'any version' },
      headers: { 'if-match': '*' },
    });
    expect(anyVersion).toMatchObject({ status: 200, etag: '"3"' });

    const staleRule = await call('POST', `/admin/flags/${key}/rules`, {
      body: { name: 'late' },
      headers: { 'if-match': '"2"' },
    });
    expect(staleRule.status).toBe(412);
    const rule = await call('POST', `/admin/flags/${key}/rules`, {
      body: { name: 'on-time' },
      headers: { 'if-match': '"1", "3"' },
    });
    expect(rule).toMatchObject({ status: 201, etag: '"4"' });
    const ruleUpdate = await call('PATCH', `/admin/flags/${key}/rules/on-time`, {
      body: { rolloutPercentage: 10 },
      headers: { 'if-match': '"3"' },
    });
    expect(ruleUpdate.status).toBe(412);
    const ruleDelete = await call('DELETE', `/admin/flags/${key}/rules/on-time`, {
      headers: { 'if-match': '"4"' },
    });
    expect(ruleDelete).toMatchObject({ status: 200, etag: '"5"', body: { rules: [] } });

    // DELETE: a stale version keeps the flag; the current one removes it.
    const staleDelete = await call('DELETE', `/admin/flags/${key}`, {
      headers: { 'if-match': '"4"' },
    });
    expect(staleDelete.status).toBe(412);
    expect((await call('GET', `/admin/flags/${key}`)).status).toBe(200);
    const deleted = await call('DELETE', `/admin/flags/${key}`, {
      headers: { 'if-match': '"5"' },
    });
    expect(deleted.status).toBe(204);
    expect((await call('GET', `/admin/flags/${key}`)).status).toBe(404);
    const gone = await call('PATCH', `/admin/flags/${key}`, {
      body: { name: 'x' },
      headers: { 'if-match': '"5"' },
    });
    expect(gone.status).toBe(404);
  });

  it('answers impossible keys and out-of-range numbers with 4xx, never 500', async () => {
    expect((await call('GET', '/admin/flags/a%00b')).status).toBe(404);
    expect((await call('PATCH', '/admin/flags/a%00b', { body: { name: 'x' } })).status).toBe(404);
    expect((await call('DELETE', '/admin/flags/a%00b')).status).toBe(404);
    const key = `limits-${backend}`;
    expect((await call('POST', '/admin/flags', { body: { key } })).status).toBe(201);
    const huge = await call('POST', `/admin/flags/${key}/rules`, {
      body: { name: 'huge', priority: 2 ** 31 },
    });
    expect(huge.status).toBe(400);
    const nul = await call('PATCH', `/admin/flags/${key}`, { body: { name: 'a\u0000b' } });
    expect(nul.status).toBe(400);
    expect((await call('GET', `/admin/flags/${key}`)).body).toMatchObject({
      rules: [],
      version: 1,
    });
  });
});
