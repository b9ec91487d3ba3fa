import { ApiKeyService } from '@gatekeeper/api-auth';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestApp } from './fixtures/api-auth-test-app';

describe('ApiKeyGuard as a global guard (e2e)', () => {
  let app: INestApplication;
  let apiKeys: ApiKeyService;

  beforeAll(async () => {
    app = await createTestApp({
      global: true,
      auth: { header: 'X-Service-Token', keyPrefix: 'gk_' },
    });
    apiKeys = app.get(ApiKeyService);
  });

  afterAll(() => app.close());

  const http = () => request(app.getHttpServer());

  it('protects every route', async () => {
    const res = await http().get('/global/secure').expect(401);
    expect(res.body.code).toBe('missing_api_key');
    expect(res.headers['www-authenticate']).toContain('header="x-service-token"');
  });

  it('exempts @Public() routes', async () => {
    await http().get('/global/open').expect(200, { open: true });
  });

  it('reads the configured custom header in any case, and Bearer', async () => {
    const { key, apiKey } = await apiKeys.create({
      name: 'svc',
      ownerId: 'svc-1',
      scopes: ['global:read'],
    });
    expect(key.startsWith('gk_')).toBe(true);
    await http().get('/global/secure').set('X-SERVICE-TOKEN', key).expect(200, { id: apiKey.id });
    await http().get('/global/secure').set('Authorization', `Bearer ${key}`).expect(200);
    // The default header name is not read once another one is configured.
    await http().get('/global/secure').set('x-api-key', key).expect(401);
  });

  it('refuses keys minted with another prefix as invalid', async () => {
    const res = await http()
      .get('/global/secure')
      .set('x-service-token', `sk_${'a'.repeat(32)}3i8aJj`)
      .expect(401);
    expect(res.body.code).toBe('invalid_api_key');
  });

  it('enforces controller-level scopes', async () => {
    const { key } = await apiKeys.create({ name: 'n', ownerId: 'o', scopes: ['other'] });
    const res = await http().get('/global/secure').set('x-service-token', key).expect(403);
    expect(res.body.message).toBe('Insufficient scope: requires all of global:read');
  });
});
