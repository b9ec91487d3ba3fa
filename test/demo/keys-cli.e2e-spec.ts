import { API_KEY_REGEX } from '@gatekeeper/api-auth';
import { runKeysCli } from '../../apps/demo/src/cli/keys.cli';
import type { DemoConfig } from '../../apps/demo/src/config/demo.config';
import {
  createTestStore,
  startDemo,
  STORE_BACKENDS,
  type RunningDemo,
  type TestStore,
} from './support/demo-app';
import { jsonClient } from './support/http';

/** Runs `npm run keys -- <argv>` in-process; stdout and stderr kept apart. */
async function keys(config: DemoConfig, ...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const code = await runKeysCli(argv, config, {
    stdout: (text) => (out.stdout += text),
    stderr: (text) => (out.stderr += text),
  });
  return { code, ...out };
}

describe.each(STORE_BACKENDS)('keys CLI on %s, next to the running demo', (backend) => {
  let store: TestStore;
  let demo: RunningDemo;
  let http: ReturnType<typeof jsonClient>;

  beforeAll(async () => {
    store = await createTestStore(backend);
    demo = await startDemo(store.config);
    http = jsonClient(demo.baseUrl);
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  it('creates, lists, rotates and revokes keys the service honours', async () => {
    const created = await keys(
      store.config,
      'create',
      '--owner',
      'acme',
      '--scopes',
      'orders:read',
    );
    expect(created.code).toBe(0);
    // stdout is the key alone, so KEY=$(npm run -s keys -- create …) captures it.
    expect(created.stdout).toMatch(new RegExp(`^${API_KEY_REGEX.source}\n$`));
    expect(created.stderr).not.toContain(created.stdout.trim());
    const key = created.stdout.trim();
    expect((await http('GET', '/orders', { key })).status).toBe(200);
    expect((await http('POST', '/orders', { key, body: { items: [] } })).status).toBe(403);

    const listed = await keys(store.config, 'list', '--owner', 'acme');
    expect(listed.code).toBe(0);
    const [header, row, ...rest] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+PREFIX\s+STATUS\s+SCOPES\s+CREATED\s+LAST USED\s+NAME$/);
    expect(rest).toEqual([]);
    expect(row).toContain('active');
    expect(row).toContain('orders:read');
    expect(listed.stdout).not.toContain(key);
    const id = row.split(/\s+/)[0];

    const rotated = await keys(store.config, 'rotate', id, '--grace-seconds', '60');
    expect(rotated.code).toBe(0);
    const newKey = rotated.stdout.trim();
    expect(newKey).toMatch(API_KEY_REGEX);
    expect((await http('GET', '/orders', { key: newKey })).status).toBe(200);
    expect((await http('GET', '/orders', { key })).status).toBe(200); // grace period

    const revoked = await keys(store.config, 'revoke', id);
    expect(revoked).toMatchObject({ code: 0, stdout: '' });
    const refused = await http('GET', '/orders', { key });
    expect(refused).toMatchObject({ status: 401, body: { code: 'revoked_api_key' } });
    expect((await http('GET', '/orders', { key: newKey })).status).toBe(200);

    const after = await keys(store.config, 'list', '--owner', 'acme');
    expect(after.stdout.match(/revoked/g)).toHaveLength(1);
    expect(after.stdout.match(/active/g)).toHaveLength(1);
  });

  it('explains mistakes: exit 2 for usage, 1 for an unknown key', async () => {
    const noScopes = await keys(store.config, 'create', '--owner', 'acme');
    expect(noScopes).toMatchObject({ code: 2, stdout: '' });
    expect(noScopes.stderr).toContain('create needs --scopes');
    const typo = await keys(store.config, 'craete');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Unknown command "craete"');
    const unknownOption = await keys(store.config, 'list', '--owner', 'acme', '--all');
    expect(unknownOption.code).toBe(2);
    const missing = await keys(store.config, 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('not found');
    const badScope = await keys(store.config, 'create', '--owner', 'x', '--scopes', 'a b');
    expect(badScope).toMatchObject({ code: 1, stdout: '' });
    expect(badScope.stderr).toContain('invalid scope "a b"');
  });
});

describe('keys CLI on the memory backend', () => {
  it('refuses it: those keys live inside the server process', async () => {
    const memory = await keys(
      { port: 0, backend: 'memory', redisPrefix: '' },
      'list',
      '--owner',
      'acme',
    );
    expect(memory).toMatchObject({ code: 2, stdout: '' });
    expect(memory.stderr).toContain('use the HTTP admin routes');
  });
});
