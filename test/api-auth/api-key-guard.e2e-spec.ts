import { ApiKeyService, MemoryApiKeyStorage } from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { eventually } from '../support/eventually';
import { createTestApp, FakeClock, LocalController } from './fixtures/api-auth-test-app';

describe('ApiKeyGuard on a controller (e2e)', () => {
  let app: INestApplication;
  let apiKeys: ApiKeyService;
  let clock: FakeClock;
  let key: string;
  let id: string;

  const http = () => request(app.getHttpServer());

  beforeEach(async () => {
    clock = new FakeClock();
    app = await createTestApp({ clock });
    apiKeys = app.get(ApiKeyService);
    ({
      key,
      apiKey: { id },
    } = await apiKeys.create({
      name: 'ci',
      ownerId: 'owner-1',
      scopes: ['reports:read', 'secret:scope'],
    }));
  });

  afterEach(() => app.close());

  describe('200 with a valid key', () => {
    it('passes the key to the handler via @CurrentApiKey()', async () => {
      const res = await http().get('/local/me').set('x-api-key', key).expect(200);
      expect(res.body).toEqual({ id, ownerId: 'owner-1', name: 'ci' });
    });

    it.each(['X-API-KEY', 'X-Api-Key', 'x-api-key'])(
      'reads the header in any case (%s)',
      async (name) => {
        await http().get('/local/me').set(name, key).expect(200);
      },
    );

    it('ignores whitespace around the key', async () => {
      await http().get('/local/me').set('x-api-key', `  \t${key} \t `).expect(200);
    });

    it.each(['Bearer', 'bearer', 'BEARER'])('accepts Authorization: %s <key>', async (scheme) => {
      await http().get('/local/me').set('Authorization', `${scheme}   ${key}  `).expect(200);
    });
  });

  describe('401', () => {
    async function expect401(req: request.Test, code: string, message: string) {
      const res = await req.expect(401);
      expect(res.body).toEqual({ statusCode: 401, message, code });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
      expect(res.headers['www-authenticate']).toContain('header="x-api-key"');
      return res;
    }

    it('without a key', async () => {
      const res = await expect401(http().get('/local/me'), 'missing_api_key', 'API key required');
      expect(res.headers['www-authenticate']).not.toContain('invalid_token');
      await expect401(
        http().get('/local/me').set('x-api-key', '   '),
        'missing_api_key',
        'API key required',
      );
      await expect401(
        http().get('/local/me').set('Authorization', 'Bearer'),
        'missing_api_key',
        'API key required',
      );
      await expect401(
        http()
          .get('/local/me')
          .set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`),
        'missing_api_key',
        'API key required',
      );
    });

    it('identically for a malformed and an unknown key', async () => {
      const unknownKey = (await apiKeys.create({ name: 'x', ownerId: 'o', scopes: [] })).key;
      await apiKeys.delete((await apiKeys.verify(unknownKey)).id);
      const malformed = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');

      const a = await expect401(
        http().get('/local/me').set('x-api-key', malformed),
        'invalid_api_key',
        'Invalid API key',
      );
      const b = await expect401(
        http().get('/local/me').set('x-api-key', unknownKey),
        'invalid_api_key',
        'Invalid API key',
      );
      expect(a.headers['www-authenticate']).toBe(b.headers['www-authenticate']);
      expect(a.headers['www-authenticate']).toContain('error="invalid_token"');
      await expect401(
        http().get('/local/me').set('Authorization', `Bearer ${malformed}`),
        'invalid_api_key',
        'Invalid API key',
      );
    });

    it('for an 8 KB junk header', async () => {
      await expect401(
        http()
          .get('/local/me')
          .set('x-api-key', 'x'.repeat(8 * 1024)),
        'invalid_api_key',
        'Invalid API key',
      );
      await expect401(
        http()
          .get('/local/me')
          .set('Authorization', `Bearer ${'sk_'.repeat(2730)}`),
        'invalid_api_key',
        'Invalid API key',
      );
    });

    it('for non-ASCII bytes in the header', async () => {
      // Header values travel as bytes; latin1 strings let supertest send them unchanged.
      const utf8 = Buffer.from(`sk_ключ${key.slice(7)}`, 'utf8').toString('latin1');
      await expect401(
        http().get('/local/me').set('x-api-key', utf8),
        'invalid_api_key',
        'Invalid API key',
      );
      const latin1 = `${key.slice(0, -1)}\u00e9`;
      await expect401(
        http().get('/local/me').set('x-api-key', latin1),
        'invalid_api_key',
        'Invalid API key',
      );
    });

    it('for an expired key', async () => {
      const expiring = await apiKeys.create({
        name: 'temp',
        ownerId: 'owner-1',
        scopes: [],
        expiresAt: new Date(clock.now().getTime() + 60_000),
      });
      await http().get('/local/me').set('x-api-key', expiring.key).expect(200);
      clock.advance(60);
      await expect401(
        http().get('/local/me').set('x-api-key', expiring.key),
        'expired_api_key',
        'API key expired',
      );
    });

    it('for a revoked key', async () => {
      await apiKeys.revoke(id);
      await expect401(
        http().get('/local/me').set('x-api-key', key),
        'revoked_api_key',
        'API key revoked',
      );
    });

    it('for the old key once a rotation grace period is over', async () => {
      const rotated = await apiKeys.rotate(id, { gracePeriodSeconds: 30 });
      await http().get('/local/me').set('x-api-key', key).expect(200);
      clock.advance(30);
      await expect401(
        http().get('/local/me').set('x-api-key', key),
        'expired_api_key',
        'API key expired',
      );
      await http().get('/local/me').set('Authorization', `Bearer ${rotated.key}`).expect(200);
    });
  });

  describe('403', () => {
    it('names the required scopes, never the key’s own', async () => {
      const res = await http().post('/local/items').set('x-api-key', key).expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        message: 'Insufficient scope: requires all of items:write, items:publish',
        code: 'insufficient_scope',
      });
      expect(JSON.stringify(res.body)).not.toContain('secret:scope');
      expect(JSON.stringify(res.body)).not.toContain('reports:read');
    });

    it('requires every @RequireScopes scope, with resource:* wildcards', async () => {
      const partial = await apiKeys.create({ name: 'p', ownerId: 'o', scopes: ['items:write'] });
      await http().post('/local/items').set('x-api-key', partial.key).expect(403);
      const wildcard = await apiKeys.create({ name: 'w', ownerId: 'o', scopes: ['items:*'] });
      await http().post('/local/items').set('x-api-key', wildcard.key).expect(201);
    });

    it('requires one @RequireAnyScope scope', async () => {
      await http().get('/local/reports').set('x-api-key', key).expect(200);
      const other = await apiKeys.create({ name: 'o', ownerId: 'o', scopes: ['items:write'] });
      const res = await http().get('/local/reports').set('x-api-key', other.key).expect(403);
      expect(res.body.message).toBe(
        'Insufficient scope: requires one of reports:read, reports:admin',
      );
    });

    it('applies controller-level and handler-level requirements together', async () => {
      const handlerOnly = await apiKeys.create({ name: 'h', ownerId: 'o', scopes: ['audit:read'] });
      const res = await http().get('/admin/audit').set('x-api-key', handlerOnly.key).expect(403);
      expect(res.body.message).toBe('Insufficient scope: requires all of admin, audit:read');
      const both = await apiKeys.create({ name: 'b', ownerId: 'o', scopes: ['admin', 'audit:*'] });
      await http().get('/admin/audit').set('x-api-key', both.key).expect(200);
    });
  });

  it('lets @Public() routes through without a key', async () => {
    await http().get('/local/status').expect(200, { open: true });
  });
});

describe('ApiKeyGuard when the storage fails (e2e)', () => {
  class FlakyStorage extends MemoryApiKeyStorage {
    failing = false;

    override async getByHash(keyHash: string) {
      if (this.failing) throw new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432');
      return super.getByHash(keyHash);
    }
  }

  it('answers 503, never 500 and never a pass', async () => {
    const storage = new FlakyStorage();
    const app = await createTestApp({ auth: { storage } });
    try {
      const { key } = await app.get(ApiKeyService).create({ name: 'n', ownerId: 'o', scopes: [] });
      const controller = app.get(LocalController);
      storage.failing = true;
      const res = await request(app.getHttpServer()).get('/local/me').set('x-api-key', key);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        statusCode: 503,
        message: 'Authentication is temporarily unavailable',
        code: 'auth_unavailable',
      });
      expect(controller.handled).toBe(0);
      // A malformed key is still refused without asking the storage.
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', 'nope').expect(401);

      storage.failing = false;
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
      expect(controller.handled).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('answers 200 even when recording lastUsedAt fails', async () => {
    const storage = new MemoryApiKeyStorage();
    const touch = jest.spyOn(storage, 'touch').mockRejectedValue(new Error('read-only replica'));
    const app = await createTestApp({ auth: { storage } });
    try {
      const { key } = await app.get(ApiKeyService).create({ name: 'n', ownerId: 'o', scopes: [] });
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
      expect(await eventually(async () => touch.mock.calls.length > 0)).toBe(true);
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
    } finally {
      await app.close();
    }
  });
});
