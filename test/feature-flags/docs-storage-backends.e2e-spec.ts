import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import {
  DatabaseFeatureFlagStorage,
  FEATURE_FLAG_STORAGE,
  FeatureFlagClient,
  FeatureFlagStorageError,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { createTestDatabase } from '../harness/servers';
import { AppModule as DatabaseAppModule } from './fixtures/docs-storage-backends/flags-database.module';
import { AppModule as StaticAppModule } from './fixtures/docs-storage-backends/static-flags.module';

const FIXTURES = join(__dirname, 'fixtures/docs-storage-backends');
const EXAMPLES = ['flags-database.module.ts', 'static-flags.storage.ts', 'static-flags.module.ts'];

/** The page's TypeScript blocks that start with a `// <file name>` comment, by file name. */
function documentedFiles(): Map<string, string> {
  const page = readFileSync(
    join(__dirname, '../../docs/feature-flags/storage-backends.md'),
    'utf8',
  );
  const files = new Map<string, string>();
  for (const [, code] of page.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ (\S+\.ts)\n/.exec(code)?.[1];
    if (name) files.set(name, code);
  }
  return files;
}

async function start(module: unknown): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module as never] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('docs/feature-flags/storage-backends.md', () => {
  it.each(EXAMPLES)('shows %s exactly as tested here', (file) => {
    expect(documentedFiles().get(file)).toBe(readFileSync(join(FIXTURES, file), 'utf8'));
  });

  it('custom storage example: serves its flags and refuses writes', async () => {
    const app = await start(StaticAppModule);
    try {
      const client = app.get(FeatureFlagClient);
      expect(await client.isEnabled('new-checkout')).toBe(true);
      expect(await client.getStringValue('checkout-copy', 'x', { country: 'DE' })).toBe(
        'Jetzt kaufen',
      );
      expect(await client.getStringValue('checkout-copy', 'x', { country: 'FR' })).toBe('Buy');
      const storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
      await expect(storage.createFlag({ key: 'x' })).rejects.toBeInstanceOf(
        FeatureFlagStorageError,
      );
    } finally {
      await app.close();
    }
  });

  it('TypeOrmModule example: one DataSource, migrated, serving flags', async () => {
    process.env.DATABASE_URL = await createTestDatabase('postgres');
    const app = await start(DatabaseAppModule);
    try {
      const storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
      expect(storage).toBeInstanceOf(DatabaseFeatureFlagStorage);
      await storage.createFlag({ key: 'shared-pool', defaultEnabled: true });
      expect(await app.get(FeatureFlagClient).isEnabled('shared-pool')).toBe(true);
      const migrations = await app.get(DataSource).query('SELECT name FROM migrations');
      expect(migrations).toEqual([
        { name: 'CreateFeatureFlagTables_ff_1767225600000' },
        { name: 'AddFeatureFlagVersion_ff_1796083200000' },
        { name: 'AddFeatureFlagNamedValues_ff_1796169600000' },
        { name: 'AddFeatureFlagSegments_ff_1796256000000' },
        { name: 'AddFeatureFlagEnvironmentsAndSchedules_ff_1796342400000' },
      ]);
    } finally {
      await app.close();
      delete process.env.DATABASE_URL;
    }
  });
});
