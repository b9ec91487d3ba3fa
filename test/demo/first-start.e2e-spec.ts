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
      const admins = await again('GET', '/admin/keys?owner=gatekeeper-admin', { key: adminKey });
      expect(admins.body).toHaveLength(1);
    } finally {
      await second.close();
    }
    expect(second.logger.lines.join('\n')).not.toMatch(new RegExp(API_KEY_REGEX.source));
  });
});
