import type { DatabaseConnectionOptions } from '@gatekeeper/common';

/** Options of `new DatabaseFeatureFlagStorage(dataSource, options)`. */
export interface DatabaseFeatureFlagStorageOptions {
  /**
   * Prepended to the four table names; must match the prefix of the entities registered on the
   * DataSource. Default `'ff_'`.
   */
  tablePrefix?: string;
}

/** Options of `DatabaseFeatureFlagStorage.create()`. */
export type CreateDatabaseFeatureFlagStorageOptions = DatabaseFeatureFlagStorageOptions &
  Required<Pick<DatabaseConnectionOptions, 'connectionString'>> &
  Pick<DatabaseConnectionOptions, 'createTables' | 'queryTimeout' | 'acquireTimeout'>;
