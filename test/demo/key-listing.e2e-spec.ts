import {
  createTestStore,
  startDemo,
  STORE_BACKENDS,
  type RunningDemo,
  type TestStore,
} from './support/demo-app';
import { jsonClient } from './support/http';

interface KeyView {
  id: string;
  ownerId: string;
  expiresAt: string | null;
  status: string;
}

describe.each(STORE_BACKENDS)('GET /admin/keys on %s', (backend) => {
  let store: TestStore;
  let demo: RunningDemo;
  let http: ReturnType<typeof jsonClient>;
  let admin: string;

  beforeAll(async () => {
    store = await createTestStore(backend);
    demo = await startDemo(store.config);
    http = jsonClient(demo.baseUrl);
    admin = demo.adminKey!;
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  /** Follows nextCursor from the first page to the last; every page checked on the way. */
  async function everyPage(query: string, limit: number) {
    const pages: KeyView[][] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await http('GET', `/admin/keys?${query}limit=${limit}${after}`, {
        key: admin,
      });
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(limit);
      pages.push(response.body.items);
      cursor = response.body.nextCursor;
    } while (cursor !== null && pages.length < 50);
    return pages;
  }

  it('lists every key of every owner, a page at a time, each once, with its expiry', async () => {
    const expiresAt = '2099-06-30T00:00:00.000Z';
    const issued: KeyView[] = [];
    for (const [ownerId, count] of [
      ['zeta', 2],
      ['acme', 3],
      ['bluth', 1],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const response = await http('POST', '/admin/keys', {
          key: admin,
          body: {
            name: `${ownerId} ${i}`,
            ownerId,
            scopes: ['orders:read'],
            ...(ownerId === 'acme' ? { expiresAt } : {}),
          },
        });
        expect(response.status).toBe(201);
        issued.push(response.body.apiKey);
      }
    }

    const pages = await everyPage('', 2);
    // 6 keys issued here and the admin key of the first start.
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    const listed = pages.flat();
    expect(listed.map((apiKey) => apiKey.ownerId)).toEqual([
      'acme',
      'acme',
      'acme',
      'bluth',
      'gatekeeper-admin',
      'zeta',
      'zeta',
    ]);
    expect(new Set(listed.map((apiKey) => apiKey.id)).size).toBe(7);
    for (const apiKey of issued) {
      expect(listed.find((item) => item.id === apiKey.id)).toMatchObject({
        expiresAt: apiKey.ownerId === 'acme' ? expiresAt : null,
        status: 'active',
      });
    }

    // Without a limit: one page of up to 50.
    const all = await http('GET', '/admin/keys', { key: admin });
    expect(all.body).toMatchObject({ nextCursor: null });
    expect(all.body.items).toHaveLength(7);
  });

  it('pages through one owner with ownerId; a next page stays put when keys come and go', async () => {
    const first = await http('GET', '/admin/keys?limit=3', { key: admin });
    expect(first.body.items.map((apiKey: KeyView) => apiKey.ownerId)).toEqual([
      'acme',
      'acme',
      'acme',
    ]);
    // A key of an owner sorting before the cursor shifts nothing: the next page starts at bluth.
    await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'aardvark', ownerId: 'aardvark', scopes: [] },
    });
    const after = encodeURIComponent(first.body.nextCursor);
    const next = await http('GET', `/admin/keys?limit=3&cursor=${after}`, { key: admin });
    expect(next.body.items[0].ownerId).toBe('bluth');

    const acme = await everyPage('ownerId=acme&', 2);
    expect(acme.map((page) => page.map((apiKey) => apiKey.ownerId))).toEqual([
      ['acme', 'acme'],
      ['acme'],
    ]);
    const ids = acme.flat().map((apiKey) => apiKey.id);
    expect(ids.sort()).toEqual(first.body.items.map((apiKey: KeyView) => apiKey.id).sort());

    // A cursor of the whole listing, or of acme's, is not one for bluth's keys.
    const foreign = await http('GET', `/admin/keys?ownerId=bluth&cursor=${after}`, {
      key: admin,
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toEqual(['cursor belongs to a listing of another owner']);
  });
});

describe('GET /admin/keys: what it refuses (sqlite)', () => {
  let store: TestStore;
  let demo: RunningDemo;
  let http: ReturnType<typeof jsonClient>;
  let admin: string;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    demo = await startDemo(store.config);
    http = jsonClient(demo.baseUrl);
    admin = demo.adminKey!;
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  it('answers 400 naming ownerId for the old owner parameter, here and on flag evaluation', async () => {
    const keys = await http('GET', '/admin/keys?owner=acme', { key: admin });
    expect(keys.status).toBe(400);
    expect(keys.body.message).toEqual([
      'owner is now called ownerId: GET /admin/keys?ownerId=<owner>',
    ]);
    const evaluation = await http('GET', '/admin/flags/new_checkout/evaluation?owner=acme', {
      key: admin,
    });
    expect(evaluation.status).toBe(400);
    expect(evaluation.body.message).toContain(
      'owner is now called ownerId: …/evaluation?ownerId=<owner>',
    );
    const renamed = await http('GET', '/admin/flags/new_checkout/evaluation?ownerId=acme', {
      key: admin,
    });
    expect(renamed).toMatchObject({ status: 200, body: { flagKey: 'new_checkout' } });
  });

  it('answers 400 for a cursor it did not issue and a limit out of range', async () => {
    const cursor = await http('GET', '/admin/keys?cursor=bm9wZQ', { key: admin });
    expect(cursor.status).toBe(400);
    expect(cursor.body.message).toEqual(['cursor must be the nextCursor of a previous page']);
    expect((await http('GET', '/admin/keys?limit=0', { key: admin })).status).toBe(400);
    expect((await http('GET', '/admin/keys?limit=201', { key: admin })).status).toBe(400);
    expect((await http('GET', '/admin/keys?limit=two', { key: admin })).status).toBe(400);
  });

  it('needs scope keys:admin', async () => {
    const created = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'reader', ownerId: 'acme', scopes: ['orders:read'] },
    });
    const refused = await http('GET', '/admin/keys', { key: created.body.key });
    expect(refused).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } });
  });
});

describe('GET /admin/keys on the memory backend', () => {
  let demo: RunningDemo;

  beforeAll(async () => {
    demo = await startDemo({ port: 0, backend: 'memory', redisPrefix: '' });
  });

  afterAll(async () => {
    await demo?.close();
  });

  it('lists one owner, and says that every key needs an ownerId there', async () => {
    const http = jsonClient(demo.baseUrl);
    const owner = await http('GET', '/admin/keys?ownerId=gatekeeper-admin', { key: demo.adminKey });
    expect(owner).toMatchObject({ status: 200, body: { nextCursor: null } });
    expect(owner.body.items).toHaveLength(1);
    const all = await http('GET', '/admin/keys', { key: demo.adminKey });
    expect(all.status).toBe(501);
    expect(all.body.message).toContain('give an ownerId');
  });
});
