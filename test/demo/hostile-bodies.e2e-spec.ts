import { createTestStore, startDemo, type RunningDemo, type TestStore } from './support/demo-app';

/**
 * Bodies a client can send to any write route: nested too deep for the validator, too large,
 * not JSON, or of another media type. Each gets a 4xx that says why, nothing is written, and
 * none is logged as a server error.
 */
describe('demo: hostile request bodies (sqlite)', () => {
  let store: TestStore;
  let demo: RunningDemo;
  let admin: string;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    demo = await startDemo(store.config);
    admin = demo.adminKey!;
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${demo.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': admin, 'content-type': contentType },
      body,
    });

  const serverErrors = () =>
    demo.logger.entries.filter((entry) => entry.level === 'error' || entry.level === 'fatal');

  it.each([
    ['/admin/flags', 'metadata'],
    ['/admin/keys', 'metadata'],
    ['/orders', 'items'],
  ])('answers 400 to JSON nested 1,100 levels deep on POST %s', async (path, field) => {
    const deep = '{"a":'.repeat(1100) + '1' + '}'.repeat(1100);
    const response = await post(path, `{"${field}":${deep}}`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { message: string; statusCode: number };
    expect(body.statusCode).toBe(400);
    expect(body.message).toMatch(/nested more than \d+ levels/);
  });

  it('answers 400 to a deep value inside a rule condition (the nested DTOs)', async () => {
    const deep = '{"a":'.repeat(1100) + '1' + '}'.repeat(1100);
    const rule = `{"name":"deep","conditions":[{"attribute":"plan","operator":"eq","value":${deep}}]}`;
    const response = await post('/admin/flags', `{"key":"deep_rule","rules":[${rule}]}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('accepts nesting within the limit', async () => {
    const response = await post(
      '/admin/flags',
      JSON.stringify({ key: 'nested_ok', metadata: { a: { b: { c: { d: [1, [2, [3]]] } } } } }),
    );
    expect(response.status).toBe(201);
  });

  it('ignores brackets inside strings when measuring depth', async () => {
    const response = await post(
      '/admin/flags',
      JSON.stringify({
        key: 'brackets_in_text',
        description: '[{'.repeat(100) + '\\"['.repeat(50),
      }),
    );
    expect(response.status).toBe(201);
  });

  it('answers 413 to a body over the size limit, and 400 to malformed JSON', async () => {
    const huge = await post(
      '/admin/flags',
      JSON.stringify({ key: 'huge', description: 'x'.repeat(200_000) }),
    );
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ statusCode: 413 });

    const malformed = await post('/admin/flags', '{"key": "broken",');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ statusCode: 400 });
  });

  it('answers 415 to a write whose body is not JSON', async () => {
    const response = await post(
      '/admin/flags',
      'key=form_flag',
      'application/x-www-form-urlencoded',
    );
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ statusCode: 415 });
  });

  it('stores nothing from refused bodies and logs no server error for them', async () => {
    const flags = await fetch(`${demo.baseUrl}/admin/flags`, { headers: { 'x-api-key': admin } });
    const keys = ((await flags.json()) as Array<{ key: string }>).map((flag) => flag.key);
    expect(keys).not.toEqual(expect.arrayContaining(['huge']));
    expect(keys).not.toContain('broken');
    expect(keys).not.toContain('form_flag');
    expect(serverErrors()).toEqual([]);
  });
});
