import { existsSync } from 'node:fs';
import { API_KEY_REGEX } from '@gatekeeper/api-auth';
import { redactSecrets } from '@gatekeeper/common';
import { runKeysCli } from '../../apps/demo/src/cli/keys.cli';
import { loadDemoConfig, type DemoConfig } from '../../apps/demo/src/config/demo.config';
import {
  createTestStore,
  startDemo,
  STORE_BACKENDS,
  type RunningDemo,
  type TestStore,
} from './support/demo-app';
import { jsonClient } from './support/http';
import { shellWords } from './support/readme-tour';

/** Runs `npm run keys -- <argv>` in-process; stdout and stderr kept apart. */
async function keys(config: DemoConfig, ...argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const code = await runKeysCli(argv, config, {
    stdout: (text) => (out.stdout += text),
    stderr: (text) => (out.stderr += text),
  });
  return { code, ...out };
}

/** The rows of a `keys list` table, as {column: value}. */
function rows(table: string): Array<Record<string, string>> {
  const [header, ...lines] = table.trimEnd().split('\n');
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((match) => match.index);
  const names = [...header.matchAll(/\S+(?: \S+)*/g)].map((match) => match[0]);
  return lines.map((line) =>
    Object.fromEntries(names.map((name, i) => [name, line.slice(starts[i], starts[i + 1]).trim()])),
  );
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
      '--owner-id',
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

    const listed = await keys(store.config, 'list', '--owner-id', 'acme');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^ID\s+PREFIX\s+OWNER\s+STATUS\s+SCOPES\s+CREATED\s+EXPIRES\s+LAST USED\s+NAME$/,
    );
    const [row, ...rest] = rows(listed.stdout);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      OWNER: 'acme',
      STATUS: 'active',
      SCOPES: 'orders:read',
      EXPIRES: '-',
    });
    expect(listed.stdout).not.toContain(key);
    const id = row.ID;

    const rotated = await keys(store.config, 'rotate', id, '--grace-period-seconds', '60');
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

    const after = rows((await keys(store.config, 'list', '--owner-id', 'acme')).stdout);
    expect(after.map((r) => r.STATUS).sort()).toEqual(['active', 'revoked']);
    // The rotated-away key shows when it stopped working.
    expect(after.find((r) => r.ID === id)!.EXPIRES).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('lists every key of every owner a page at a time, with the expiry of each', async () => {
    const expiresAt = '2099-01-31T12:00:00Z';
    const made = await keys(
      store.config,
      'create',
      '--owner-id',
      'zeta',
      '--scopes',
      'orders:read',
      '--expires-at',
      expiresAt,
    );
    expect(made.code).toBe(0);
    expect(made.stderr).toContain(`expires at 2099-01-31T12:00:00Z`);
    const views = await http('GET', '/admin/keys?limit=200', { key: demo.adminKey });
    const everyId = views.body.items.map((apiKey: { id: string }) => apiKey.id).sort();
    expect(everyId.length).toBeGreaterThanOrEqual(3);

    const seen: Array<Record<string, string>> = [];
    let next: string[] = ['list', '--limit', '2'];
    for (let page = 0; page < 20 && next.length > 0; page++) {
      const listed = await keys(store.config, ...next);
      expect(listed.code).toBe(0);
      const pageRows = rows(listed.stdout);
      expect(pageRows.length).toBeLessThanOrEqual(2);
      seen.push(...pageRows);
      // "More keys: npm run keys -- list --limit 2 --cursor …", or nothing on the last page.
      const more = /More keys: npm run keys -- (.*)\n/.exec(listed.stderr);
      next = more ? more[1].split(' ') : [];
    }
    expect(next).toEqual([]);
    expect(seen.map((r) => r.ID).sort()).toEqual(everyId);
    expect(new Set(seen.map((r) => r.OWNER))).toEqual(
      new Set(['acme', 'gatekeeper-admin', 'zeta']),
    );
    expect(seen.find((r) => r.OWNER === 'zeta')!.EXPIRES).toBe('2099-01-31T12:00:00Z');
  });

  it('runs the command the first start printed, as printed: it reaches this store', async () => {
    const banner = demo.console.join('');
    const line = banner.split('\n').find((text) => text.includes('npm run keys -- create'));
    expect(line).toBeDefined();
    // The password, if any, is left out of the banner: put it back as the README asks.
    const url = store.config.redisUrl ?? store.config.databaseUrl!;
    const words = shellWords(line!.trim().replace(redactSecrets(url), url), {});
    const run = words.indexOf('npm');
    expect(words.slice(run, run + 4)).toEqual(['npm', 'run', 'keys', '--']);
    const env = Object.fromEntries(
      words.slice(0, run).map((assignment) => assignment.split(/=(.*)/s).slice(0, 2)),
    );

    const printed = await keys(loadDemoConfig(env), ...words.slice(run + 4));
    expect(printed.code).toBe(0);
    const admin = printed.stdout.trim();
    const listed = await http('GET', '/admin/keys?ownerId=gatekeeper-admin', { key: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a store the demo never started on, instead of quietly using it', async () => {
    const elsewhere = await createTestStore(backend);
    try {
      const refused = await keys(elsewhere.config, 'list');
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(`npm start has never run on ${backend} at`);
      expect(refused.stderr).toContain('GATEKEEPER_BACKEND');
      if (backend === 'sqlite') {
        // Not even an empty file is left behind.
        expect(existsSync(elsewhere.config.databaseUrl!.slice('sqlite:'.length))).toBe(false);
      }
    } finally {
      elsewhere.dispose();
    }
  });

  it('explains mistakes: exit 2 for usage, 1 for an unknown key', async () => {
    const noScopes = await keys(store.config, 'create', '--owner-id', 'acme');
    expect(noScopes).toMatchObject({ code: 2, stdout: '' });
    expect(noScopes.stderr).toContain('create needs --scopes');
    const typo = await keys(store.config, 'craete');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Unknown command "craete"');
    const unknownOption = await keys(store.config, 'list', '--owner-id', 'acme', '--all');
    expect(unknownOption.code).toBe(2);
    const missing = await keys(store.config, 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('not found');
    const badScope = await keys(store.config, 'create', '--owner-id', 'x', '--scopes', 'a b');
    expect(badScope).toMatchObject({ code: 1, stdout: '' });
    expect(badScope.stderr).toContain('invalid scope "a b"');
    const past = await keys(
      store.config,
      'create',
      '--owner-id',
      'x',
      '--scopes',
      'a',
      '--expires-at',
      '2001-01-01',
    );
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('--expires-at must be a future ISO 8601 date');
    const badCursor = await keys(store.config, 'list', '--cursor', 'nope');
    expect(badCursor.code).toBe(1);
    expect(badCursor.stderr).toContain('cursor must be the nextCursor of a previous page');
  });

  it('names the new option when given an old one', async () => {
    const owner = await keys(store.config, 'create', '--owner', 'acme', '--scopes', 'orders:read');
    expect(owner).toMatchObject({ code: 2, stdout: '' });
    expect(owner.stderr).toContain('--owner is now --owner-id');
    const grace = await keys(
      store.config,
      'rotate',
      '00000000-0000-4000-8000-000000000000',
      '--grace-seconds=60',
    );
    expect(grace.code).toBe(2);
    expect(grace.stderr).toContain('--grace-seconds is now --grace-period-seconds');
    const days = await keys(store.config, 'create', '--owner-id', 'a', '--expires-in-days', '3');
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--expires-in-days is now --expires-at');
  });
});

describe('keys CLI on stores out of its reach', () => {
  it('refuses the memory backend: those keys live inside the server process', async () => {
    const memory = await keys(
      { port: 0, backend: 'memory', redisPrefix: '' },
      'list',
      '--owner-id',
      'acme',
    );
    expect(memory).toMatchObject({ code: 2, stdout: '' });
    expect(memory.stderr).toContain('out of reach of npm run keys');
    expect(memory.stderr).toContain('use the HTTP admin routes');
  });

  it('refuses sqlite::memory: for the same reason', async () => {
    const memory = await keys(
      { port: 0, backend: 'sqlite', databaseUrl: 'sqlite::memory:', redisPrefix: '' },
      'list',
    );
    expect(memory).toMatchObject({ code: 2, stdout: '' });
    expect(memory.stderr).toContain('out of reach of npm run keys');
  });
});
