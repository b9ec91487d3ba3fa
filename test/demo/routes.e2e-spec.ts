import { createTestStore, startDemo, type RunningDemo, type TestStore } from './support/demo-app';
import { jsonClient } from './support/http';

describe('demo: routes, guards and OpenAPI (sqlite)', () => {
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

  const issue = async (ownerId: string, scopes: string[]) => {
    const response = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: ownerId, ownerId, scopes },
    });
    expect(response.status).toBe(201);
    return response.body as { key: string; apiKey: { id: string } };
  };
  const order = { items: [{ sku: 'sticker', quantity: 3 }] };

  it('authenticates before it evaluates the flag: 401 and 403 win over the flag’s 404', async () => {
    // The flag is off for acme (bucket 51 > 20%): a valid key gets 404 …
    const acme = await issue('acme', ['orders:write']);
    expect((await http('POST', '/checkout', { key: acme.key, body: order })).status).toBe(404);
    // … but no key, or a key without the scope, never reaches the flag guard.
    expect((await http('POST', '/checkout', { body: order })).status).toBe(401);
    const reader = await issue('acme', ['orders:read']);
    const forbidden = await http('POST', '/checkout', { key: reader.key, body: order });
    expect(forbidden.status).toBe(403);
  });

  it('rolls new_checkout out by key owner: the owners inside 20% get it, with every key', async () => {
    // Rollout buckets of "new_checkout:<owner>": bluth 20 (in), umbrella 25, acme 51 (out).
    const bluth = await issue('bluth', ['orders:write']);
    const bluthToo = await issue('bluth', ['orders:write']);
    const umbrella = await issue('umbrella', ['orders:write']);
    const placed = await http('POST', '/checkout', { key: bluth.key, body: order });
    expect(placed).toMatchObject({ status: 201, body: { ownerId: 'bluth', checkout: 'new' } });
    expect((await http('POST', '/checkout', { key: bluthToo.key, body: order })).status).toBe(201);
    expect((await http('POST', '/checkout', { key: umbrella.key, body: order })).status).toBe(404);

    const evaluation = await http('GET', '/admin/flags/new_checkout/evaluation?ownerId=bluth', {
      key: admin,
    });
    expect(evaluation.body).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });

    // An override beats the rollout, in both directions; removing it restores the rollout.
    await http('PUT', '/admin/flags/new_checkout/overrides/user/umbrella', {
      key: admin,
      body: { enabled: true },
    });
    expect((await http('POST', '/checkout', { key: umbrella.key, body: order })).status).toBe(201);
    const removed = await http('DELETE', '/admin/flags/new_checkout/overrides/user/umbrella', {
      key: admin,
    });
    expect(removed.status).toBe(204);
    expect((await http('POST', '/checkout', { key: umbrella.key, body: order })).status).toBe(404);

    // Switching the flag off hides the route from everyone.
    const off = await http('PATCH', '/admin/flags/new_checkout', {
      key: admin,
      body: { status: 'inactive' },
    });
    expect(off.body.status).toBe('inactive');
    expect((await http('POST', '/checkout', { key: bluth.key, body: order })).status).toBe(404);
    await http('PATCH', '/admin/flags/new_checkout', { key: admin, body: { status: 'active' } });
  });

  it('keeps orders per owner', async () => {
    const globex = await issue('globex', ['orders:read', 'orders:write']);
    const initech = await issue('initech', ['orders:read']);
    const placed = await http('POST', '/orders', { key: globex.key, body: order });
    expect(placed.body).toMatchObject({ ownerId: 'globex', totalCents: 1200, checkout: 'classic' });
    expect((await http('GET', `/orders/${placed.body.id}`, { key: globex.key })).status).toBe(200);
    expect((await http('GET', `/orders/${placed.body.id}`, { key: initech.key })).status).toBe(404);
    expect((await http('GET', '/orders', { key: initech.key })).body).toEqual([]);
  });

  it('manages rules: add, rename conflicts, delete', async () => {
    const added = await http('POST', '/admin/flags/new_checkout/rules', {
      key: admin,
      body: {
        name: 'germany',
        conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
      },
    });
    expect(added.status).toBe(201);
    expect(added.body.rules.map((rule: { name: string }) => rule.name)).toEqual([
      'rollout',
      'germany',
    ]);
    const germanyCustomer = await issue('hooli', ['orders:write']);
    const german = await fetch(`${demo.baseUrl}/checkout`, {
      method: 'POST',
      headers: {
        'x-api-key': germanyCustomer.key,
        'content-type': 'application/json',
        'cf-ipcountry': 'de',
      },
      body: JSON.stringify(order),
    });
    expect(german.status).toBe(201);

    const duplicate = await http('POST', '/admin/flags/new_checkout/rules', {
      key: admin,
      body: { name: 'rollout' },
    });
    expect(duplicate.status).toBe(409);
    const deleted = await http('DELETE', '/admin/flags/new_checkout/rules/germany', { key: admin });
    expect(deleted.body.rules).toHaveLength(1);
    expect(
      (await http('DELETE', '/admin/flags/new_checkout/rules/nope', { key: admin })).status,
    ).toBe(404);
  });

  it('rotates a key: the new one works, the old one until its grace period ends', async () => {
    const original = await issue('stark', ['orders:read']);
    const rotated = await http('POST', `/admin/keys/${original.apiKey.id}/rotate`, {
      key: admin,
      body: { gracePeriodSeconds: 3600 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).not.toBe(original.key);
    expect((await http('GET', '/orders', { key: rotated.body.key })).status).toBe(200);
    expect((await http('GET', '/orders', { key: original.key })).status).toBe(200);

    const immediate = await http('POST', `/admin/keys/${rotated.body.apiKey.id}/rotate`, {
      key: admin,
    });
    expect((await http('GET', '/orders', { key: immediate.body.key })).status).toBe(200);
    const old = await http('GET', '/orders', { key: rotated.body.key });
    expect(old).toMatchObject({ status: 401, body: { code: 'expired_api_key' } });

    const revoked = await http('POST', `/admin/keys/${immediate.body.apiKey.id}/revoke`, {
      key: admin,
    });
    expect(revoked.body.status).toBe('revoked');
    const again = await http('POST', `/admin/keys/${immediate.body.apiKey.id}/rotate`, {
      key: admin,
    });
    expect(again.status).toBe(409);
    const missing = await http('POST', '/admin/keys/00000000-0000-4000-8000-000000000000/revoke', {
      key: admin,
    });
    expect(missing.status).toBe(404);
  });

  it('never returns key hashes', async () => {
    const listed = await http('GET', '/admin/keys?ownerId=gatekeeper-admin', { key: admin });
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain('keyHash');
    const me = await http('GET', '/me', { key: admin });
    expect(me.body.apiKey).not.toHaveProperty('keyHash');
  });

  describe('OpenAPI document', () => {
    type Operation = { security?: unknown[]; description?: string; summary?: string };
    let document: {
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, unknown> };
    };

    beforeAll(async () => {
      const response = await http('GET', '/docs-json');
      expect(response.status).toBe(200);
      document = response.body;
    });

    it('serves the UI at /docs', async () => {
      const page = await fetch(`${demo.baseUrl}/docs`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('swagger');
    });

    it('declares the x-api-key and Bearer schemes, either one, on exactly the routes that answer 401 without a key', async () => {
      expect(document.components.securitySchemes['api-key']).toEqual(
        expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
      );
      expect(document.components.securitySchemes.bearer).toEqual(
        expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'API key' }),
      );
      const sample: Record<string, string> = {
        key: 'new_checkout',
        rule: 'rollout',
        entityType: 'user',
        entityId: 'acme',
        id: '00000000-0000-4000-8000-000000000000',
        sku: 'mug',
        name: 'beta-testers',
        slug: 'staging',
        flagKey: 'new_checkout',
      };
      let checked = 0;
      for (const [path, operations] of Object.entries(document.paths)) {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name]);
        for (const [method, operation] of Object.entries(operations)) {
          // Two requirement objects, each naming one scheme: OpenAPI reads them as alternatives.
          const declared = (operation.security ?? []).map((requirement) =>
            Object.keys(requirement as object),
          );
          const response = await fetch(`${demo.baseUrl}${url}`, { method: method.toUpperCase() });
          expect({ route: `${method} ${path}`, declared }).toEqual({
            route: `${method} ${path}`,
            declared: response.status === 401 ? [['api-key'], ['bearer']] : [],
          });
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
    });

    it('is right about Bearer: the key works as Authorization: Bearer too', async () => {
      const response = await fetch(`${demo.baseUrl}/admin/keys?ownerId=gatekeeper-admin`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(response.status).toBe(200);
    });

    it('says that POST /checkout hides behind the new_checkout flag', () => {
      const checkout = document.paths['/checkout'].post;
      expect(checkout.description).toContain('feature flag `new_checkout`');
      expect(checkout.description).toContain('404');
    });
  });

  it('reports each storage and the database in /health', async () => {
    const health = await http('GET', '/health');
    expect(health).toMatchObject({
      status: 200,
      body: {
        status: 'ok',
        info: {
          feature_flags: { status: 'up' },
          api_auth: { status: 'up' },
          database: { status: 'up', backend: 'sqlite' },
        },
      },
    });
  });
});
