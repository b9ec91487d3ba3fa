import { DataSource } from 'typeorm';
import { createTestStore, startDemo, type RunningDemo, type TestStore } from './support/demo-app';

/**
 * Who is at fault decides how a failed request is logged: a client error (4xx: body parser,
 * validation, unknown route or record, refused key) is one warning line without a stack trace;
 * a server error (5xx) is logged at error level with its stack, as before.
 */
describe('demo: client errors are logged as warnings, server errors as errors (sqlite)', () => {
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

  const send = (method: string, path: string, body?: string, contentType = 'application/json') =>
    fetch(`${demo.baseUrl}${path}`, {
      method,
      headers: {
        'x-api-key': admin,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body,
    });

  const STACK = /\n\s+at /;
  const serverErrors = () =>
    demo.logger.entries.filter((entry) => entry.level === 'error' || entry.level === 'fatal');
  const warnings = () => demo.logger.from('HTTP', 'warn');

  it.each([
    [
      '413',
      'a body over the size limit',
      () =>
        send(
          'POST',
          '/admin/flags',
          JSON.stringify({ key: 'big', description: 'x'.repeat(200_000) }),
        ),
    ],
    [
      '415',
      'a form body',
      () => send('POST', '/admin/flags', 'key=form', 'application/x-www-form-urlencoded'),
    ],
    ['400', 'malformed JSON', () => send('POST', '/admin/flags', '{"key":')],
    [
      '400',
      'JSON nested too deep',
      () => send('POST', '/admin/flags', '['.repeat(1100) + ']'.repeat(1100)),
    ],
    [
      '400',
      'a body the DTO refuses',
      () => send('POST', '/admin/flags', JSON.stringify({ key: 'x', defaultEnabeld: true })),
    ],
    [
      '400',
      'a value the library refuses (a NUL in a key name)',
      () => send('POST', '/admin/keys', '{"name":"a\\u0000b","ownerId":"o","scopes":[]}'),
    ],
    [
      '409',
      'a flag key that exists',
      () => send('POST', '/admin/flags', JSON.stringify({ key: 'new_checkout' })),
    ],
    ['400', 'a bad percent-encoding in the path', () => send('GET', '/admin/flags/a%E0%A4')],
    ['404', 'an unknown flag', () => send('GET', '/admin/flags/no_such_flag')],
    ['404', 'an unknown route', () => send('GET', '/no/such/route')],
    [
      '401',
      'an invalid key',
      () => fetch(`${demo.baseUrl}/me`, { headers: { 'x-api-key': 'sk_nope' } }),
    ],
  ])(
    '%s for %s: one warning naming the status, no stack, nothing at error level',
    async (status, _what, request) => {
      const before = demo.logger.entries.length;
      const response = await request();
      expect(response.status).toBe(Number(status));
      await response.arrayBuffer();

      const logged = demo.logger.entries.slice(before);
      expect(logged.filter((entry) => entry.level === 'error' || entry.level === 'fatal')).toEqual(
        [],
      );
      expect(logged.map((entry) => entry.level)).toContain('warn');
      expect(warnings().slice(-1)[0]).toMatch(new RegExp(`: ${status} `));
      for (const entry of logged) {
        expect(JSON.stringify([entry.message, ...entry.params])).not.toMatch(/\\n\s+at /);
      }
    },
  );

  it('escapes control characters a client puts in a logged message', async () => {
    const response = await send('GET', '/admin/flags/forged%0A%5BNest%5D%20ERROR');
    expect([400, 404]).toContain(response.status);
    await response.arrayBuffer();
    expect(warnings().every((line) => !line.includes('\n'))).toBe(true);
  });

  it('logs no server error for any of the client errors above', () => {
    expect(serverErrors()).toEqual([]);
  });

  it('still logs a server error (500) at error level, with its stack', async () => {
    // A real failure, not a stand-in: the flags table disappears under the running demo.
    const file = store.config.databaseUrl!.slice('sqlite:'.length);
    const db = await new DataSource({ type: 'better-sqlite3', database: file }).initialize();
    try {
      await db.query('ALTER TABLE ff_flags RENAME TO ff_flags_gone');
    } finally {
      await db.destroy();
    }
    const response = await send('GET', '/admin/flags/new_checkout');
    expect(response.status).toBe(500);
    await response.arrayBuffer();

    const errors = serverErrors();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((entry) => STACK.test(stackOf(entry)))).toBe(true);
  });
});

/** The stack an entry carries: in an Error message or a stack-string param. */
function stackOf(entry: { message: unknown; params: unknown[] }): string {
  return [entry.message, ...entry.params]
    .map((part) => (part instanceof Error ? (part.stack ?? '') : String(part)))
    .join('\n');
}
