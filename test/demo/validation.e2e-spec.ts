import { createTestStore, startDemo, type RunningDemo, type TestStore } from './support/demo-app';
import { jsonClient } from './support/http';

/** Every refused write is checked against what is stored afterwards: nothing half-written. */
describe('demo: invalid requests (sqlite)', () => {
  let store: TestStore;
  let demo: RunningDemo;
  let http: ReturnType<typeof jsonClient>;
  let admin: string;
  let customer: string;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    demo = await startDemo(store.config);
    http = jsonClient(demo.baseUrl);
    admin = demo.adminKey!;
    const created = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'acme shop', ownerId: 'acme', scopes: ['orders:read', 'orders:write'] },
    });
    expect(created.status).toBe(201);
    customer = created.body.key;
  });

  afterAll(async () => {
    await demo?.close();
    store?.dispose();
  });

  const messages = (body: { message: string[] | string }) =>
    Array.isArray(body.message) ? body.message : [body.message];

  it('refuses a flag with an invalid rule and stores no part of it', async () => {
    const response = await http('POST', '/admin/flags', {
      key: admin,
      body: {
        key: 'half_written',
        rules: [
          { name: 'ok', rolloutPercentage: 10 },
          { name: 'bad', rolloutPercentage: 150, conditions: [{ attribute: 'country' }] },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(messages(response.body)).toEqual(
      expect.arrayContaining([
        'rules.1.rolloutPercentage must not be greater than 100',
        expect.stringMatching(/^rules\.1\.conditions\.0\.operator must be one of/),
      ]),
    );
    expect((await http('GET', '/admin/flags/half_written', { key: admin })).status).toBe(404);
  });

  it('refuses a matches pattern the linear-time engine cannot run, and stores nothing', async () => {
    const response = await http('POST', '/admin/flags', {
      key: admin,
      body: {
        key: 'lookahead_flag',
        rules: [
          {
            name: 'bots',
            conditions: [{ attribute: 'userAgent', operator: 'matches', value: '(?=bot)' }],
          },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(messages(response.body)).toEqual([
      expect.stringMatching(/the matches value of rule "bots" is not supported/),
    ]);
    expect((await http('GET', '/admin/flags/lookahead_flag', { key: admin })).status).toBe(404);
  });

  it('refuses unknown fields and values of the wrong type, naming them', async () => {
    const unknown = await http('POST', '/admin/flags', {
      key: admin,
      body: { key: 'typo_flag', defaultEnabeld: true },
    });
    expect(unknown.status).toBe(400);
    expect(messages(unknown.body)).toContain('property defaultEnabeld should not exist');

    const mismatch = await http('POST', '/admin/flags', {
      key: admin,
      body: { key: 'typo_flag', flagType: 'string', defaultValue: 5 },
    });
    expect(mismatch.status).toBe(400);
    expect(messages(mismatch.body)).toContain(
      'defaultValue must be a string value for a string flag',
    );
    expect((await http('GET', '/admin/flags/typo_flag', { key: admin })).status).toBe(404);
  });

  it('refuses a bad rule change and keeps the rule as it was', async () => {
    const response = await http('PATCH', '/admin/flags/new_checkout/rules/rollout', {
      key: admin,
      body: { rolloutPercentage: -1, enabled: 'yes' },
    });
    expect(response.status).toBe(400);
    expect(messages(response.body)).toEqual(
      expect.arrayContaining([
        'rolloutPercentage must not be less than 0',
        'enabled must be a boolean value',
      ]),
    );
    const flag = await http('GET', '/admin/flags/new_checkout', { key: admin });
    expect(flag.body.rules).toEqual([
      expect.objectContaining({ name: 'rollout', enabled: true, rolloutPercentage: 20 }),
    ]);
  });

  it('answers 409 for a taken flag key and leaves the existing flag alone', async () => {
    const response = await http('POST', '/admin/flags', {
      key: admin,
      body: { key: 'new_checkout', defaultEnabled: true },
    });
    expect(response.status).toBe(409);
    expect(response.body.message).toBe('a feature flag with key "new_checkout" already exists');
    const flag = await http('GET', '/admin/flags/new_checkout', { key: admin });
    expect(flag.body).toMatchObject({ defaultEnabled: false, name: 'New checkout' });
  });

  it('refuses a bad override without creating one', async () => {
    const badType = await http('PUT', '/admin/flags/new_checkout/overrides/planet/acme', {
      key: admin,
      body: { enabled: true },
    });
    expect(badType.status).toBe(400);
    expect(messages(badType.body)).toEqual([
      expect.stringMatching(/^entityType must be one of the following values: user, organization/),
    ]);

    const badBody = await http('PUT', '/admin/flags/new_checkout/overrides/user/acme', {
      key: admin,
      body: { enabled: 'yes', expiresAt: '2000-01-01T00:00:00Z' },
    });
    expect(badBody.status).toBe(400);
    expect(messages(badBody.body)).toEqual(
      expect.arrayContaining([
        'enabled must be a boolean value',
        'expiresAt must be in the future',
      ]),
    );
    const override = await http('GET', '/admin/flags/new_checkout/overrides/user/acme', {
      key: admin,
    });
    expect(override.status).toBe(404);
  });

  it('refuses a key with a bad scope or a past expiry, and creates none', async () => {
    const badScope = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'x', ownerId: 'globex', scopes: ['orders read'] },
    });
    expect(badScope.status).toBe(400);
    expect(messages(badScope.body)).toEqual([
      'each value in scopes must be a scope such as "orders:read", "orders:*" or "*"',
    ]);

    const expired = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'x', ownerId: 'globex', scopes: [], expiresAt: '2001-01-01T00:00:00Z' },
    });
    expect(expired.status).toBe(400);
    expect(messages(expired.body)).toEqual(['expiresAt must be in the future']);

    const missingOwner = await http('POST', '/admin/keys', {
      key: admin,
      body: { name: 'x', scopes: [] },
    });
    expect(missingOwner.status).toBe(400);
    expect(messages(missingOwner.body)[0]).toMatch(/^ownerId must be/);

    const listed = await http('GET', '/admin/keys?ownerId=globex', { key: admin });
    expect(listed).toMatchObject({ status: 200, body: { items: [], nextCursor: null } });
  });

  it('refuses a rotation with a bad grace period and keeps the single key', async () => {
    const keys = await http('GET', '/admin/keys?ownerId=acme', { key: admin });
    const rotated = await http('POST', `/admin/keys/${keys.body.items[0].id}/rotate`, {
      key: admin,
      body: { gracePeriodSeconds: -5 },
    });
    expect(rotated.status).toBe(400);
    expect(messages(rotated.body)).toEqual(['gracePeriodSeconds must not be less than 0']);
    expect((await http('GET', '/admin/keys?ownerId=acme', { key: admin })).body.items).toHaveLength(
      1,
    );
    expect((await http('GET', '/orders', { key: customer })).status).toBe(200);
  });

  it('refuses an order with an unknown SKU in any line and stores no order', async () => {
    const response = await http('POST', '/orders', {
      key: customer,
      body: {
        items: [
          { sku: 'mug', quantity: 1 },
          { sku: 'unicorn', quantity: 1 },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(messages(response.body)).toEqual([
      'items: unknown SKU "unicorn" (see GET /catalog/products)',
    ]);
    expect((await http('GET', '/orders', { key: customer })).body).toEqual([]);
  });

  it('answers 400 for a body that is not an object at all', async () => {
    const response = await fetch(`${demo.baseUrl}/orders`, {
      method: 'POST',
      headers: { 'x-api-key': customer, 'content-type': 'application/json' },
      body: '{"items": [',
    });
    expect(response.status).toBe(400);
    expect((await http('GET', '/orders', { key: customer })).body).toEqual([]);
  });
});
