import { randomBytes, randomUUID } from 'node:crypto';
import {
  apiKeyEntities,
  apiKeyMigrations,
  DatabaseApiKeyStorage,
  type ApiKey,
} from '@gatekeeper/api-auth';
import {
  DatabaseFeatureFlagStorage,
  featureFlagEntities,
  featureFlagMigrations,
} from '@gatekeeper/feature-flags';
import {
  DataSource,
  EntitySchema,
  IsNull,
  Table,
  type DataSourceOptions,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { createTestDatabase } from './harness/servers';

/** The application's own table, entity and migration, next to which ours are added. */
interface Order {
  id: string;
  ownerId: string;
}
const OrderEntity = new EntitySchema<Order>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    ownerId: { type: 'varchar', length: 64, name: 'owner_id' },
  },
});
class CreateOrders1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'orders',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'owner_id', type: 'varchar', length: '64' },
        ],
      }),
    );
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('orders');
  }
}

type Kind = 'sqlite' | 'postgres' | 'mysql';

async function connection(kind: Kind): Promise<DataSourceOptions> {
  if (kind === 'sqlite') return { type: 'better-sqlite3', database: ':memory:' };
  if (kind === 'postgres') return { type: 'postgres', url: await createTestDatabase('postgres') };
  // 'mariadb' (the test server), so that TypeORM's schema diff reads its column metadata right.
  return { type: 'mariadb', url: await createTestDatabase('mysql'), timezone: 'Z' };
}

function newKey(ownerId: string): ApiKey {
  return {
    id: randomUUID(),
    name: 'CI deploy key',
    ownerId,
    prefix: 'sk_Ab12cd',
    keyHash: randomBytes(32).toString('hex'),
    scopes: ['flags:read'],
    metadata: { team: 'platform', nested: { n: 1 } },
    createdAt: new Date('2030-01-01T00:00:00.123Z'),
    expiresAt: new Date('2031-01-01T00:00:00.456Z'),
    revokedAt: null,
    lastUsedAt: null,
  };
}

describe.each<Kind>(['sqlite', 'postgres', 'mysql'])(
  "both modules' migrations and entities in the application's own DataSource, on %s",
  (kind) => {
    it('run with its migrations, agree with the entities, and serve storages and repositories', async () => {
      const options = await connection(kind);
      const type = options.type as 'better-sqlite3' | 'postgres' | 'mariadb';
      const keys = apiKeyEntities(type, 'auth_');
      const dataSource = new DataSource({
        ...options,
        entities: [
          OrderEntity,
          ...Object.values(featureFlagEntities(type)),
          ...Object.values(keys),
        ],
        migrations: [
          CreateOrders1700000000000,
          ...featureFlagMigrations(),
          ...apiKeyMigrations('auth_'),
        ],
      });
      await dataSource.initialize();
      try {
        const ran = await dataSource.runMigrations();
        expect(ran.map((migration) => migration.name)).toEqual([
          'CreateOrders1700000000000',
          'CreateFeatureFlagTables_ff_1767225600000',
          'CreateApiKeysTable_auth_1767225600000',
          'AddFeatureFlagVersion_ff_1796083200000',
          'AddApiKeyVersion_auth_1796083200000',
          'AddFeatureFlagNamedValues_ff_1796169600000',
          'AddFeatureFlagSegments_ff_1796256000000',
          'AddFeatureFlagEnvironmentsAndSchedules_ff_1796342400000',
        ]);
        // What `migration:generate` would produce from the entities afterwards: nothing.
        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((query) => query.query)).toEqual([]);

        // Both storages on the application's DataSource, tables already there.
        const flags = new DatabaseFeatureFlagStorage(dataSource);
        const apiKeys = new DatabaseApiKeyStorage(dataSource, { tablePrefix: 'auth_' });
        await flags.createFlag({ key: 'new-checkout', defaultEnabled: true });
        expect(await flags.getFlag('new-checkout')).toMatchObject({ defaultEnabled: true });
        const mine = await apiKeys.create(newKey('acme'));
        const revoked = await apiKeys.create(newKey('acme'));
        await apiKeys.update({ ...revoked, revokedAt: new Date('2030-06-01T00:00:00.000Z') });
        await apiKeys.create(newKey('globex'));

        // The application queries the same records through a repository of the schema.
        const repository = dataSource.getRepository(keys.apiKey);
        expect(await repository.findBy({ ownerId: 'acme', revokedAt: IsNull() })).toEqual([mine]);
        const all = await repository.find({ where: { ownerId: 'acme' }, order: { id: 'ASC' } });
        const listed: ApiKey[] = [];
        for await (const apiKey of apiKeys.listByOwner('acme')) listed.push(apiKey);
        expect(all).toEqual(listed);
        expect(all.find((apiKey) => apiKey.id === revoked.id)?.revokedAt).toEqual(
          new Date('2030-06-01T00:00:00.000Z'),
        );
        await flags.close();
        await apiKeys.close();
        expect(dataSource.isInitialized).toBe(true);

        for (let i = 0; i < ran.length; i++) await dataSource.undoLastMigration();
        const runner = dataSource.createQueryRunner();
        try {
          for (const table of ['orders', 'ff_flags', 'auth_api_keys']) {
            expect(await runner.hasTable(table)).toBe(false);
          }
        } finally {
          await runner.release();
        }
      } finally {
        await dataSource.destroy();
      }
    });
  },
);
