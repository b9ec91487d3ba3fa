import type { ColumnType, DataSourceOptions } from 'typeorm';
import { GatekeeperConfigError, type SupportedDatabaseType } from '@gatekeeper/common';

/** The SQL families the database storage supports; everything else about a driver is TypeORM's. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

export type { SupportedDatabaseType };

export function sqlDialect(type: DataSourceOptions['type']): SqlDialect {
  switch (type) {
    case 'postgres':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
      return 'mysql';
    case 'better-sqlite3':
      return 'sqlite';
    default:
      throw new GatekeeperConfigError(
        `the feature-flags database backend supports PostgreSQL, MySQL/MariaDB and SQLite, ` +
          `not a DataSource of type '${type}'`,
      );
  }
}

interface DialectColumns {
  /** JSON documents of any size (a 1 MB default value must fit; MySQL TEXT stops at 64 KB). */
  json: ColumnType;
  timestamp: ColumnType;
  /** Millisecond precision where the type takes one (MySQL DATETIME defaults to seconds). */
  timestampPrecision: number | undefined;
  double: ColumnType;
  /**
   * Flag keys, variant keys and override entity ids compare byte for byte: MySQL's default
   * collations would make "Café" and "cafe" the same key.
   */
  exactText: { charset?: string; collation?: string };
}

/**
 * Column types per dialect, shared by the entity schemas and the migrations so that both describe
 * the same tables (a test checks that TypeORM sees no difference between them).
 */
export const DIALECT_COLUMNS: Record<SqlDialect, DialectColumns> = {
  postgres: {
    json: 'text',
    timestamp: 'timestamptz',
    timestampPrecision: undefined,
    double: 'double precision',
    exactText: {},
  },
  mysql: {
    json: 'longtext',
    timestamp: 'datetime',
    timestampPrecision: 3,
    double: 'double',
    exactText: { charset: 'utf8mb4', collation: 'utf8mb4_bin' },
  },
  sqlite: {
    json: 'text',
    timestamp: 'datetime',
    timestampPrecision: undefined,
    double: 'double',
    exactText: {},
  },
};

/** Table names for a prefix; the prefix itself is validated by the module options. */
export function tableNames(tablePrefix: string) {
  return {
    flags: `${tablePrefix}flags`,
    rules: `${tablePrefix}rules`,
    variants: `${tablePrefix}variants`,
    overrides: `${tablePrefix}overrides`,
  };
}

/** Index and constraint names, explicit so migrations and entity schemas agree on them. */
export function constraintNames(tablePrefix: string) {
  return {
    flagsKey: `${tablePrefix}flags_key_uq`,
    flagsStatus: `${tablePrefix}flags_status_idx`,
    rulesFlag: `${tablePrefix}rules_flag_idx`,
    rulesFlagFk: `${tablePrefix}rules_flag_fk`,
    variantsFlag: `${tablePrefix}variants_flag_idx`,
    variantsFlagFk: `${tablePrefix}variants_flag_fk`,
    overridesEntity: `${tablePrefix}overrides_entity_uq`,
    overridesFlagFk: `${tablePrefix}overrides_flag_fk`,
  };
}
