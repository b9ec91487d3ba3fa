import { API_KEY_REGEX } from '@gatekeeper/api-auth';
import { createTestStore, startDemo, type TestStore } from './support/demo-app';
import { jsonClient } from './support/http';

describe('demo: first start (sqlite)', () => {
  let store: TestStore;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
  });

  afterAll(() => store?.dispose());

  it('seeds the example flags and prints one admin key, once, never through the logger', async () => {
    const first = await startDemo(store.config);
    const banner = first.console.join('');
    const printed = banner.match(new RegExp(API_KEY_REGEX.source, 'g')) ?? [];
    expect(printed).toHaveLength(1);
    expect(banner).toContain(`export ADMIN_KEY=${printed[0]}`);
    // The way to another admin key, with what the CLI needs to find this store.
    expect(banner).toContain(
      `  DATABASE_URL=${store.config.databaseUrl} npm run keys -- create --owner-id gatekeeper-admin ` +
        '--scopes keys:admin,flags:write,flags:read\n',
    );
    const adminKey = printed[0];

    const http = jsonClient(first.baseUrl);
    const flags = await http('GET', '/admin/flags', { key: adminKey });
    expect(flags.status).toBe(200);
    expect(flags.body.map((flag: { key: string }) => flag.key).sort()).toEqual([
      'catalog_banner',
      'new_checkout',
    ]);
    // Delete one seeded flag: a later start must not bring it back.
    expect((await http('DELETE', '/admin/flags/catalog_banner', { key: adminKey })).status).toBe(
      204,
    );
    const created = await http('POST', '/admin/keys', {
      key: adminKey,
      body: { name: 'acme', ownerId: 'acme', scopes: ['orders:read'] },
    });
    await http('GET', '/orders', { key: created.body.key });
    await first.close();
    expect(first.logger.lines.join('\n')).not.toMatch(new RegExp(API_KEY_REGEX.source));

    const second = await startDemo(store.config);
    try {
      expect(second.console).toEqual([]);
      expect(second.adminKey).toBeUndefined();
      const again = jsonClient(second.baseUrl);
      const after = await again('GET', '/admin/flags', { key: adminKey });
      expect(after.status).toBe(200);
      expect(after.body.map((flag: { key: string }) => flag.key)).toEqual(['new_checkout']);
      const admins = await again('GET', '/admin/keys?ownerId=gatekeeper-admin', { key: adminKey });
      expect(admins.body.items).toHaveLength(1);
    } finally {
      await second.close();
    }
    expect(second.logger.lines.join('\n')).not.toMatch(new RegExp(API_KEY_REGEX.source));
  });
});

describe('demo: first start on the memory backend', () => {
  it('prints an admin key at every start, and no CLI command that could not reach it', async () => {
    const config = { port: 0, backend: 'memory' as const, redisPrefix: '' };
    for (let start = 0; start < 2; start++) {
      const demo = await startDemo(config);
      try {
        const banner = demo.console.join('');
        expect(banner).toMatch(new RegExp(`export ADMIN_KEY=${API_KEY_REGEX.source}`));
        expect(banner).toContain(
          'Lost it? Restart the server: with GATEKEEPER_BACKEND=memory every start begins empty',
        );
        expect(banner).not.toContain('npm run keys --');
      } finally {
        await demo.close();
      }
    }
  });
});

describe('demo: the environment it evaluates in', () => {
  it('warns at startup when GATEKEEPER_ENVIRONMENT names no environment, and still serves', async () => {
    const demo = await startDemo({
      port: 0,
      backend: 'memory',
      redisPrefix: '',
      environment: 'qa',
    });
    try {
      expect(demo.logger.from('SeedService', 'warn')).toEqual([
        'GATEKEEPER_ENVIRONMENT is "qa", which names no environment: flags are evaluated ' +
          'without environment settings until it is created (POST /admin/environments)',
      ]);
      const evaluation = await jsonClient(demo.baseUrl)(
        'GET',
        '/admin/flags/new_checkout/evaluation?ownerId=acme',
        { key: demo.adminKey },
      );
      expect(evaluation).toMatchObject({ status: 200, body: { value: false, reason: 'STATIC' } });
    } finally {
      await demo.close();
    }
  });

  it('is created on first start, so the default production says nothing', async () => {
    const demo = await startDemo({ port: 0, backend: 'memory', redisPrefix: '' });
    try {
      expect(demo.logger.from('SeedService', 'warn')).toEqual([]);
      expect(demo.logger.from('SeedService', 'log')).toContain(
        'Example environments: production, staging',
      );
    } finally {
      await demo.close();
    }
  });
});
