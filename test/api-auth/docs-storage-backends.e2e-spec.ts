import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY_STORAGE, ApiKeyService, type ApiKeyStorage } from '@gatekeeper/api-auth';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '../harness/servers';
import { createTestApp } from './fixtures/api-auth-test-app';
import { ApiKeyReport, ApiKeyReportModule } from './fixtures/docs-storage/api-key-report.module';
import { AppModule } from './fixtures/docs-storage/app.module';
import { AuditLogApiKeyStorage } from './fixtures/docs-storage/audit-log.storage';

const FIXTURES = join(__dirname, 'fixtures/docs-storage');

/** The guide's TypeScript blocks that start with a `// <file name>` comment, by file name. */
function guideFiles(): Map<string, string> {
  const guide = readFileSync(join(__dirname, '../../docs/api-auth/storage-backends.md'), 'utf8');
  const files = new Map<string, string>();
  for (const [, code] of guide.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ (\S+\.ts)\n/.exec(code)?.[1];
    if (name) files.set(name, code);
  }
  return files;
}

describe('docs/api-auth/storage-backends.md', () => {
  it.each(['audit-log.storage.ts', 'app.module.ts', 'api-key-report.module.ts'])(
    'shows %s exactly as tested here',
    (file) => {
      expect(guideFiles().get(file)).toBe(readFileSync(join(FIXTURES, file), 'utf8'));
    },
  );

  it('the custom storage example authenticates, revokes and keeps its audit trail', async () => {
    const app = await createTestApp({ auth: { storage: AuditLogApiKeyStorage } });
    try {
      const apiKeys = app.get(ApiKeyService);
      const { key, apiKey } = await apiKeys.create({ name: 'docs', ownerId: 'o', scopes: [] });
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(200);
      await apiKeys.revoke(apiKey.id);
      await request(app.getHttpServer()).get('/local/me').set('x-api-key', key).expect(401);
      const storage = app.get<AuditLogApiKeyStorage>(API_KEY_STORAGE);
      expect(storage).toBeInstanceOf(AuditLogApiKeyStorage);
      expect(storage.auditTrail).toEqual(
        expect.arrayContaining([`created ${apiKey.id}`, `revoked ${apiKey.id}`]),
      );
    } finally {
      await app.close();
    }
  });

  it('the TypeOrmModule example runs the migration and shares its DataSource', async () => {
    process.env.DATABASE_URL = await createTestDatabase('postgres');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const apiKeys = app.get(ApiKeyService);
      const { key, apiKey } = await apiKeys.create({ name: 'typeorm', ownerId: 'o', scopes: [] });
      expect(await apiKeys.verify(key)).toMatchObject({ id: apiKey.id });
      const dataSource = app.get(DataSource);
      expect(await dataSource.query('SELECT name FROM migrations ORDER BY id')).toEqual([
        { name: 'CreateApiKeysTable1767225600000' },
        { name: 'AddApiKeyVersion1796083200000' },
      ]);
      expect(await dataSource.query('SELECT id FROM api_keys')).toEqual([{ id: apiKey.id }]);
    } finally {
      await app.close();
      delete process.env.DATABASE_URL;
    }
  });

  it('the repository example queries the keys the storage wrote, by owner', async () => {
    process.env.DATABASE_URL = await createTestDatabase('postgres');
    const moduleRef = await Test.createTestingModule({ imports: [ApiKeyReportModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const apiKeys = app.get(ApiKeyService);
      const older = await apiKeys.create({ name: 'ci', ownerId: 'acme', scopes: ['a:read'] });
      const revoked = await apiKeys.create({ name: 'old', ownerId: 'acme', scopes: [] });
      const newer = await apiKeys.create({
        name: 'deploy',
        ownerId: 'acme',
        scopes: ['a:write'],
        expiresAt: new Date('2099-01-01T00:00:00.000Z'),
        metadata: { team: 'platform' },
      });
      await apiKeys.create({ name: 'other', ownerId: 'globex', scopes: [] });
      await apiKeys.revoke(revoked.apiKey.id);

      const found = await app.get(ApiKeyReport).activeKeysOf('acme');
      expect(found.map((apiKey) => apiKey.id).sort()).toEqual(
        [newer.apiKey.id, older.apiKey.id].sort(),
      );
      // The very records the storage returns, field for field (Dates, scopes, metadata).
      const storage = app.get<ApiKeyStorage>(API_KEY_STORAGE);
      for (const apiKey of found) expect(apiKey).toEqual(await storage.getById(apiKey.id));
      expect(found.find((apiKey) => apiKey.id === newer.apiKey.id)).toMatchObject({
        expiresAt: new Date('2099-01-01T00:00:00.000Z'),
        metadata: { team: 'platform' },
        scopes: ['a:write'],
        revokedAt: null,
      });
      expect(found[0].createdAt.getTime()).toBeGreaterThanOrEqual(found[1].createdAt.getTime());
    } finally {
      await app.close();
      delete process.env.DATABASE_URL;
    }
  });
});
