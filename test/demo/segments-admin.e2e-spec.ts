import { messages, startAdminSession, type AdminSession } from './support/admin-session';

describe.each(['sqlite', 'memory'] as const)('admin: segments on %s', (backend) => {
  let session: AdminSession;

  beforeAll(async () => {
    session = await startAdminSession(backend);
  });

  afterAll(async () => {
    await session?.close();
  });

  const acmeInUserId = [{ attribute: 'userId', operator: 'in', value: ['acme'] }];

  it('creates, lists, reads, replaces and deletes a segment by name', async () => {
    const { http, admin, reader } = session;
    const created = await http('POST', '/admin/segments', {
      key: admin,
      body: { name: 'eu', conditions: [{ attribute: 'country', operator: 'in', value: ['DE'] }] },
    });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'eu', description: null, parentSegmentId: null, enabled: true },
    });
    const child = await http('POST', '/admin/segments', {
      key: admin,
      body: { name: 'eu-premium', parent: 'eu', description: 'EU customers on premium' },
    });
    expect(child).toMatchObject({ status: 201, body: { parentSegmentId: created.body.id } });

    const listed = await http('GET', '/admin/segments', { key: reader });
    expect(listed.status).toBe(200);
    expect(listed.body.map((segment: { name: string }) => segment.name)).toEqual([
      'eu',
      'eu-premium',
    ]);
    expect(await http('GET', '/admin/segments/eu-premium', { key: reader })).toMatchObject({
      status: 200,
      body: { name: 'eu-premium', description: 'EU customers on premium' },
    });

    // PUT replaces: what the body leaves out goes back to its default.
    const replaced = await http('PUT', '/admin/segments/eu-premium', {
      key: admin,
      body: { conditions: [{ attribute: 'plan', operator: 'eq', value: 'premium' }] },
    });
    expect(replaced).toMatchObject({
      status: 200,
      body: {
        id: child.body.id,
        name: 'eu-premium',
        description: null,
        parentSegmentId: null,
        conditions: [{ attribute: 'plan', operator: 'eq', value: 'premium' }],
      },
    });

    expect((await http('DELETE', '/admin/segments/eu-premium', { key: admin })).status).toBe(204);
    expect((await http('GET', '/admin/segments/eu-premium', { key: admin })).status).toBe(404);
  });

  it('targets flags: a rule naming the segment follows its members and its enabled switch', async () => {
    const { http, admin } = session;
    await http('POST', '/admin/segments', {
      key: admin,
      body: { name: 'beta-testers', conditions: acmeInUserId },
    });
    const rule = await http('POST', '/admin/flags/catalog_banner/rules', {
      key: admin,
      body: {
        name: 'beta',
        conditions: [{ attribute: 'segment', operator: 'in_segment', value: 'beta-testers' }],
        serveValue: 'Beta',
      },
    });
    expect(rule.status).toBe(201);
    const banner = async (ownerId: string) =>
      (
        await http('GET', `/admin/flags/catalog_banner/evaluation?ownerId=${ownerId}`, {
          key: admin,
        })
      ).body;
    expect(await banner('acme')).toMatchObject({ value: 'Beta', reason: 'TARGETING_MATCH' });
    expect((await banner('globex')).value).not.toBe('Beta');

    const disabled = await http('PUT', '/admin/segments/beta-testers', {
      key: admin,
      body: { conditions: acmeInUserId, enabled: false },
    });
    expect(disabled).toMatchObject({ status: 200, body: { enabled: false } });
    expect((await banner('acme')).value).not.toBe('Beta');

    await http('DELETE', '/admin/flags/catalog_banner/rules/beta', { key: admin });
  });

  it('refuses invalid segments with 400s naming the field, and stores nothing', async () => {
    const { http, admin } = session;
    const invalid = await http('POST', '/admin/segments', {
      key: admin,
      body: {
        name: 'bad name',
        conditions: [{ attribute: 'country', operator: 'like', value: 'D%' }],
        enabled: 'yes',
        colour: 'red',
      },
    });
    expect(invalid.status).toBe(400);
    expect(messages(invalid.body)).toEqual(
      expect.arrayContaining([
        'property colour should not exist',
        expect.stringMatching(/^name must be 1–100 letters/),
        expect.stringMatching(/^conditions\.0\.operator must be one of/),
        'enabled must be a boolean value',
      ]),
    );
    const renamed = await http('PUT', '/admin/segments/eu', {
      key: admin,
      body: { name: 'europe' },
    });
    expect(renamed.status).toBe(400);
    expect(messages(renamed.body)).toEqual(['property name should not exist']);
    expect((await http('GET', '/admin/segments/bad%20name', { key: admin })).status).toBe(404);
  });

  it('answers 409 for a taken name, 404 for an unknown segment, 422 for an unknown parent', async () => {
    const { http, admin } = session;
    const taken = await http('POST', '/admin/segments', { key: admin, body: { name: 'eu' } });
    expect(taken).toMatchObject({
      status: 409,
      body: { message: 'a segment named "eu" already exists' },
    });

    for (const method of ['GET', 'PUT', 'DELETE']) {
      const missing = await http(method, '/admin/segments/nobody', {
        key: admin,
        body: method === 'PUT' ? {} : undefined,
      });
      expect({ method, status: missing.status, body: missing.body }).toMatchObject({
        method,
        status: 404,
        body: { message: 'no segment named "nobody"' },
      });
    }

    const orphan = await http('POST', '/admin/segments', {
      key: admin,
      body: { name: 'orphan', parent: 'nobody' },
    });
    expect(orphan.status).toBe(422);
    expect(messages(orphan.body)).toEqual(['parent: no segment named "nobody"']);
    expect((await http('GET', '/admin/segments/orphan', { key: admin })).status).toBe(404);
  });

  it('refuses a parent that would make a segment its own ancestor', async () => {
    const { http, admin } = session;
    await http('POST', '/admin/segments', { key: admin, body: { name: 'loop-a' } });
    await http('POST', '/admin/segments', {
      key: admin,
      body: { name: 'loop-b', parent: 'loop-a' },
    });
    for (const parent of ['loop-b', 'loop-a']) {
      const loop = await http('PUT', '/admin/segments/loop-a', { key: admin, body: { parent } });
      expect(loop.status).toBe(400);
      expect(messages(loop.body)[0]).toMatch(/cannot be its own ancestor/);
    }
    expect((await http('GET', '/admin/segments/loop-a', { key: admin })).body.parentSegmentId).toBe(
      null,
    );
  });

  it('needs a key (401), flags:read to read and flags:write to write (403)', async () => {
    const { http, reader, customer } = session;
    expect((await http('GET', '/admin/segments')).status).toBe(401);
    expect((await http('POST', '/admin/segments', { body: { name: 'x' } })).status).toBe(401);
    expect((await http('GET', '/admin/segments', { key: customer })).status).toBe(403);
    expect((await http('GET', '/admin/segments/eu', { key: customer })).status).toBe(403);
    for (const [method, path] of [
      ['POST', '/admin/segments'],
      ['PUT', '/admin/segments/eu'],
      ['DELETE', '/admin/segments/eu'],
    ]) {
      const refused = await http(method, path, { key: reader, body: { name: 'x' } });
      expect({ method, status: refused.status, code: refused.body.code }).toEqual({
        method,
        status: 403,
        code: 'insufficient_scope',
      });
    }
    expect((await http('GET', '/admin/segments/eu', { key: reader })).status).toBe(200);
  });
});
