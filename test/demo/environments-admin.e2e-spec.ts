import { messages, startAdminSession, type AdminSession } from './support/admin-session';

describe.each(['sqlite', 'memory'] as const)('admin: environments on %s', (backend) => {
  let session: AdminSession;

  beforeAll(async () => {
    // A deployment of the staging environment: it inherits what production sets.
    session = await startAdminSession(backend, { environment: 'staging' });
  });

  afterAll(async () => {
    await session?.close();
  });

  /** What acme's keys get of new_checkout in this deployment (acme is outside its 20% rollout). */
  const acmeCheckout = async () =>
    (
      await session.http('GET', '/admin/flags/new_checkout/evaluation?ownerId=acme', {
        key: session.admin,
      })
    ).body;

  it('has production and staging from the first start, staging below production', async () => {
    const listed = await session.http('GET', '/admin/environments', { key: session.reader });
    expect(listed.status).toBe(200);
    const [production, staging] = listed.body;
    expect(production).toMatchObject({ slug: 'production', parentId: null, isActive: true });
    expect(staging).toMatchObject({ slug: 'staging', parentId: production.id });
  });

  it('evaluates in its environment, each setting inherited from the nearest one that makes it', async () => {
    const { http, admin, reader } = session;
    expect(await acmeCheckout()).toMatchObject({ value: false, reason: 'STATIC' });

    const off = await http('PUT', '/admin/environments/production/flags/new_checkout', {
      key: admin,
      body: { enabled: false },
    });
    expect(off).toMatchObject({
      status: 200,
      body: { enabled: false, percentage: null, rules: null, variants: null },
    });
    expect(await acmeCheckout()).toMatchObject({ value: false, reason: 'DISABLED' });

    // Staging: on, for everyone; the PUT replaces what staging sets, and upserts.
    const on = await http('PUT', '/admin/environments/staging/flags/new_checkout', {
      key: admin,
      body: { enabled: true, percentage: 100 },
    });
    expect(on).toMatchObject({ status: 200, body: { enabled: true, percentage: 100 } });
    expect(await acmeCheckout()).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    const again = await http('PUT', '/admin/environments/staging/flags/new_checkout', {
      key: admin,
      body: { percentage: 100 },
    });
    expect(again).toMatchObject({ status: 200, body: { id: on.body.id, enabled: null } });
    expect(await acmeCheckout()).toMatchObject({ reason: 'DISABLED' });

    const read = await http('GET', '/admin/environments/staging/flags/new_checkout', {
      key: reader,
    });
    expect(read).toMatchObject({ status: 200, body: { id: on.body.id, percentage: 100 } });
    const listed = await http('GET', '/admin/environments/staging/flags', { key: reader });
    expect(listed.body).toEqual([expect.objectContaining({ id: on.body.id })]);

    expect(
      (await http('DELETE', '/admin/environments/production/flags/new_checkout', { key: admin }))
        .status,
    ).toBe(204);
    expect(await acmeCheckout()).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    await http('DELETE', '/admin/environments/staging/flags/new_checkout', { key: admin });
    expect(await acmeCheckout()).toMatchObject({ value: false, reason: 'STATIC' });
  });

  it('replaces the rules and variants of a flag per environment, checked like the flag’s own', async () => {
    const { http, admin } = session;
    const rules = await http('PUT', '/admin/environments/staging/flags/catalog_banner', {
      key: admin,
      body: {
        rules: [
          {
            name: 'acme',
            conditions: [{ attribute: 'userId', operator: 'eq', value: 'acme' }],
            serveValue: 'Hi acme',
          },
        ],
      },
    });
    expect(rules.status).toBe(200);
    expect(rules.body.rules).toEqual([
      expect.objectContaining({ name: 'acme', serveValue: 'Hi acme' }),
    ]);
    const banner = await http('GET', '/admin/flags/catalog_banner/evaluation?ownerId=acme', {
      key: admin,
    });
    expect(banner.body).toMatchObject({ value: 'Hi acme', reason: 'TARGETING_MATCH' });

    const invalid = await http('PUT', '/admin/environments/staging/flags/catalog_banner', {
      key: admin,
      body: {
        enabled: 'yes',
        percentage: 150,
        variants: [{ key: 'a', value: 'A', weight: 101 }],
        inherit: true,
      },
    });
    expect(invalid.status).toBe(400);
    expect(messages(invalid.body)).toEqual(
      expect.arrayContaining([
        'property inherit should not exist',
        'enabled must be a boolean value',
        'percentage must not be greater than 100',
        'variants.0.weight must not be greater than 100',
      ]),
    );
    const mistyped = await http('PUT', '/admin/environments/staging/flags/catalog_banner', {
      key: admin,
      body: { rules: [{ name: 'a', serveValue: 5 }] },
    });
    expect(mistyped.status).toBe(400);
    expect(messages(mistyped.body)).toEqual([
      'rules.0.serveValue must be a string value for a string flag',
    ]);
    const twice = await http('PUT', '/admin/environments/staging/flags/catalog_banner', {
      key: admin,
      body: { rules: [{ name: 'a' }, { name: 'a' }] },
    });
    expect(messages(twice.body)).toEqual(['rules.1.name "a" is used twice']);
    // Nothing of the refused writes is stored.
    const stored = await http('GET', '/admin/environments/staging/flags/catalog_banner', {
      key: admin,
    });
    expect(stored.body).toMatchObject({ enabled: null, percentage: null, variants: null });
    expect(stored.body.rules).toHaveLength(1);
    await http('DELETE', '/admin/environments/staging/flags/catalog_banner', { key: admin });
  });

  it('creates, changes and deletes environments by slug', async () => {
    const { http, admin } = session;
    const created = await http('POST', '/admin/environments', {
      key: admin,
      body: { slug: 'dev-alice', name: 'Alice', parent: 'staging', settings: { region: 'eu' } },
    });
    expect(created).toMatchObject({
      status: 201,
      body: { slug: 'dev-alice', name: 'Alice', settings: { region: 'eu' }, isActive: true },
    });
    const changed = await http('PATCH', '/admin/environments/dev-alice', {
      key: admin,
      body: { name: 'Alice’s box', parent: null, isActive: false },
    });
    expect(changed).toMatchObject({
      status: 200,
      body: { id: created.body.id, name: 'Alice’s box', parentId: null, isActive: false },
    });
    const renamed = await http('PATCH', '/admin/environments/dev-alice', {
      key: admin,
      body: { slug: 'dev-alice2' },
    });
    expect(renamed).toMatchObject({
      status: 200,
      body: { slug: 'dev-alice2', name: 'Alice’s box' },
    });
    expect((await http('DELETE', '/admin/environments/dev-alice2', { key: admin })).status).toBe(
      204,
    );
    expect((await http('GET', '/admin/environments/dev-alice2', { key: admin })).status).toBe(404);
  });

  it('refuses bad environments: 400 naming the field, 409 for a taken slug, 422 for an unknown parent', async () => {
    const { http, admin } = session;
    const invalid = await http('POST', '/admin/environments', {
      key: admin,
      body: { slug: 'QA env', settings: 'none', isActive: 1 },
    });
    expect(invalid.status).toBe(400);
    expect(messages(invalid.body)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^slug must be 1–64 lowercase letters/),
        expect.stringMatching(/^name must be/),
        'settings must be an object',
        'isActive must be a boolean value',
      ]),
    );
    const taken = await http('POST', '/admin/environments', {
      key: admin,
      body: { slug: 'staging', name: 'Staging 2' },
    });
    expect(taken).toMatchObject({
      status: 409,
      body: { message: 'an environment with slug "staging" already exists' },
    });
    const takenByRename = await http('PATCH', '/admin/environments/staging', {
      key: admin,
      body: { slug: 'production' },
    });
    expect(takenByRename.status).toBe(409);
    const orphan = await http('POST', '/admin/environments', {
      key: admin,
      body: { slug: 'qa', name: 'QA', parent: 'nowhere' },
    });
    expect(orphan.status).toBe(422);
    expect(messages(orphan.body)).toEqual(['parent: no environment "nowhere"']);
    const loop = await http('PATCH', '/admin/environments/production', {
      key: admin,
      body: { parent: 'staging' },
    });
    expect(loop.status).toBe(400);
    expect(messages(loop.body)[0]).toMatch(/cannot inherit from itself/);
    const environments = await http('GET', '/admin/environments', { key: admin });
    expect(environments.body.map((env: { slug: string }) => env.slug)).toEqual([
      'production',
      'staging',
    ]);
    expect(environments.body[0].parentId).toBe(null);
  });

  it('answers 404 for an unknown environment, flag or setting', async () => {
    const { http, admin } = session;
    const cases: Array<[string, string, string]> = [
      ['GET', '/admin/environments/nowhere', 'no environment "nowhere"'],
      ['PATCH', '/admin/environments/nowhere', 'no environment "nowhere"'],
      ['DELETE', '/admin/environments/nowhere', 'no environment "nowhere"'],
      ['GET', '/admin/environments/nowhere/flags', 'no environment "nowhere"'],
      ['PUT', '/admin/environments/nowhere/flags/new_checkout', 'no environment "nowhere"'],
      ['PUT', '/admin/environments/staging/flags/nope', 'no feature flag with key "nope"'],
      [
        'GET',
        '/admin/environments/staging/flags/new_checkout',
        'flag "new_checkout" has no settings in environment "staging": it inherits them all',
      ],
      [
        'DELETE',
        '/admin/environments/staging/flags/new_checkout',
        'flag "new_checkout" has no settings in environment "staging": it inherits them all',
      ],
    ];
    for (const [method, path, message] of cases) {
      const response = await http(method, path, {
        key: admin,
        body: method === 'PUT' || method === 'PATCH' ? {} : undefined,
      });
      expect({ method, path, status: response.status, message: response.body.message }).toEqual({
        method,
        path,
        status: 404,
        message,
      });
    }
  });

  it('needs a key (401), flags:read to read and flags:write to write (403)', async () => {
    const { http, reader, customer } = session;
    expect((await http('GET', '/admin/environments')).status).toBe(401);
    expect((await http('GET', '/admin/environments/staging/flags')).status).toBe(401);
    expect((await http('GET', '/admin/environments', { key: customer })).status).toBe(403);
    for (const [method, path] of [
      ['POST', '/admin/environments'],
      ['PATCH', '/admin/environments/staging'],
      ['DELETE', '/admin/environments/staging'],
      ['PUT', '/admin/environments/staging/flags/new_checkout'],
      ['DELETE', '/admin/environments/staging/flags/new_checkout'],
    ]) {
      const refused = await http(method, path, { key: reader, body: {} });
      expect({ method, path, status: refused.status }).toEqual({ method, path, status: 403 });
    }
    expect((await http('GET', '/admin/environments/staging', { key: reader })).status).toBe(200);
  });
});
