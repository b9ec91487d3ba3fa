import { JSON_TEXT, requireDriver, type SupportedDatabaseType } from '@gatekeeper/common';
import type { EntitySchema, EntitySchemaColumnOptions, ValueTransformer } from 'typeorm';
import { DEFAULT_API_AUTH_TABLE_PREFIX } from '../../api-auth.constants';
import type { ApiKey } from '../../models/api-key.model';
import { apiKeysTableName, exactText } from './api-keys.table';

/**
 * The entity schema of `{tablePrefix}api_keys`. A repository of it reads and writes `ApiKey`
 * records, the same objects the storage returns.
 */
export interface ApiKeyEntities {
  apiKey: EntitySchema<ApiKey>;
}

/** Epoch milliseconds in a BIGINT column (pg and mysql2 hand BIGINT back as a string). */
const epochMillis: ValueTransformer = {
  to: (value: Date | string | null | undefined) =>
    value === undefined || value === null ? value : toMillis(value),
  from: (value: number | string | null) => (value === null ? null : new Date(Number(value))),
};

/** A key created without a version starts at 1; drivers may hand integers back as strings. */
const versionColumn: ValueTransformer = {
  to: (value: number | null | undefined) => value ?? 1,
  from: (value: number | string | null) => (value === null ? 1 : Number(value)),
};

/**
 * The TypeORM entity schema of the API-key table for a database type and table prefix: register
 * it on your DataSource (`TypeOrmModule.forFeature(Object.values(apiKeyEntities('postgres')))`)
 * to query keys through a repository. `DatabaseApiKeyStorage` reads and writes the table through
 * the same definition, and does not need it registered.
 *
 * Timestamps are epoch milliseconds in BIGINT columns: every driver, DataSource `timezone` setting
 * and server time zone reads back the same instant. `scopes` and `metadata` are JSON text. On
 * MySQL/MariaDB text compares byte for byte (`utf8mb4_bin`), as on the other databases.
 */
export function apiKeyEntities(
  type: SupportedDatabaseType,
  tablePrefix: string = DEFAULT_API_AUTH_TABLE_PREFIX,
): ApiKeyEntities {
  // Loaded here, not at import time: typeorm is an optional peer the other backends never need.
  const { EntitySchema } = requireDriver<typeof import('typeorm')>('typeorm', 'database');
  const tableName = apiKeysTableName(tablePrefix);
  const exact = exactText(type);
  const string = (length: number, name?: string): EntitySchemaColumnOptions => ({
    type: 'varchar',
    length,
    name,
    ...exact,
  });
  const text = (): EntitySchemaColumnOptions => ({ type: 'text', ...exact });
  const json = (): EntitySchemaColumnOptions => ({ ...text(), transformer: JSON_TEXT });
  const millis = (name: string, nullable: boolean): EntitySchemaColumnOptions => ({
    type: 'bigint',
    name,
    nullable,
    transformer: epochMillis,
  });
  return {
    apiKey: new EntitySchema<ApiKey>({
      name: `${tablePrefix}GatekeeperApiKey`,
      tableName,
      columns: {
        id: { ...string(255), primary: true },
        name: text(),
        ownerId: string(255, 'owner_id'),
        prefix: string(64),
        keyHash: string(128, 'key_hash'),
        scopes: json(),
        metadata: json(),
        createdAt: millis('created_at', false),
        expiresAt: millis('expires_at', true),
        revokedAt: millis('revoked_at', true),
        lastUsedAt: millis('last_used_at', true),
        // Added by AddApiKeyVersion1796083200000; rows of 0.1/0.2 start at 1.
        version: { type: 'integer', default: 1, transformer: versionColumn },
      },
      indices: [
        // The hot path: one lookup per request.
        { name: `UQ_${tableName}_key_hash`, columns: ['keyHash'], unique: true },
        // (owner_id, id) serves listByOwner's keyset pages without sorting the owner's rows.
        { name: `IDX_${tableName}_owner_id`, columns: ['ownerId', 'id'] },
      ],
    }),
  };
}

/** Tolerates ISO strings from callers that did not build a Date. */
function toMillis(date: Date | string): number {
  const millis = new Date(date).getTime();
  if (Number.isNaN(millis)) throw new TypeError(`invalid date: ${String(date)}`);
  return millis;
}
