import { placeholders, type SqlDialect } from '@gatekeeper/common';
import type { EntitySchema, ValueTransformer } from 'typeorm';
import type { ApiKey } from '../../models/api-key.model';

/** A row as the driver returns it, by column name. */
export type Row = Record<string, unknown>;

/**
 * The columns of `apiKeyEntities()`' schema: property, column name and conversion, in schema order.
 * Rows are converted with the schema's own transformers, so the storage and a repository of the
 * schema read and write the same values.
 */
export class ApiKeyColumns {
  readonly list: ReadonlyArray<{
    property: keyof ApiKey;
    column: string;
    transformer: ValueTransformer | undefined;
  }>;
  private readonly byProperty: ReadonlyMap<keyof ApiKey, ApiKeyColumns['list'][number]>;

  constructor(schema: EntitySchema<ApiKey>) {
    this.list = Object.entries(schema.options.columns).map(([property, options]) => ({
      property: property as keyof ApiKey,
      column: options?.name ?? property,
      transformer: options?.transformer as ValueTransformer | undefined,
    }));
    this.byProperty = new Map(this.list.map((entry) => [entry.property, entry]));
  }

  /** The column name of a property. */
  name(property: keyof ApiKey): string {
    return this.byProperty.get(property)!.column;
  }

  /** The comma-separated column names, in schema order. */
  get names(): string {
    return this.list.map(({ column }) => column).join(', ');
  }

  toValue(property: keyof ApiKey, value: unknown): unknown {
    const transformer = this.byProperty.get(property)!.transformer;
    return transformer ? transformer.to(value) : value;
  }

  /** The key's values as stored, by property. */
  toValues(apiKey: ApiKey): Record<keyof ApiKey, unknown> {
    const values = {} as Record<keyof ApiKey, unknown>;
    for (const { property } of this.list)
      values[property] = this.toValue(property, apiKey[property]);
    return values;
  }

  fromValues(values: Record<keyof ApiKey, unknown>): ApiKey {
    const apiKey = {} as Record<keyof ApiKey, unknown>;
    for (const { property, transformer } of this.list) {
      const value = values[property];
      apiKey[property] = transformer ? transformer.from(value) : value;
    }
    return apiKey as unknown as ApiKey;
  }

  fromRow(row: Row): ApiKey {
    const values = {} as Record<keyof ApiKey, unknown>;
    for (const { property, column } of this.list) values[property] = row[column];
    return this.fromValues(values);
  }
}

/** Every statement the storage runs, written once with `?` (numbered for PostgreSQL). */
export function statements(
  table: string,
  columns: ApiKeyColumns,
  dialect: SqlDialect,
  pageSize: number,
) {
  const c = (property: keyof ApiKey) => columns.name(property);
  const returning = dialect === 'mysql' ? '' : ` RETURNING ${columns.names}`;
  const select = `SELECT ${columns.names} FROM ${table}`;
  const values = columns.list.map(() => '?').join(', ');
  const lastUsedAt = c('lastUsedAt');
  const version = c('version');
  const update =
    `UPDATE ${table} SET ${c('name')} = ?, ${c('scopes')} = ?, ${c('metadata')} = ?, ` +
    `${c('expiresAt')} = ?, ${c('revokedAt')} = COALESCE(${c('revokedAt')}, ?), ` +
    `${lastUsedAt} = CASE WHEN ${lastUsedAt} IS NULL OR ${lastUsedAt} < ? THEN ? ELSE ${lastUsedAt} END, ` +
    `${version} = ${version} + 1`;
  const sql = {
    selectByHash: `${select} WHERE ${c('keyHash')} = ?`,
    selectById: `${select} WHERE ${c('id')} = ?`,
    insert: `INSERT INTO ${table} (${columns.names}) VALUES (${values})`,
    // A NULL parameter leaves revoked_at as stored, and makes `last_used_at < NULL` unknown,
    // which keeps the stored last_used_at.
    update: `${update} WHERE ${c('id')} = ?${returning}`,
    // The compare-and-set: no row when the version moved on (or the id is unknown).
    updateVersion: `${update} WHERE ${c('id')} = ? AND ${version} = ?${returning}`,
    touch:
      `UPDATE ${table} SET ${lastUsedAt} = ? ` +
      `WHERE ${c('id')} = ? AND (${lastUsedAt} IS NULL OR ${lastUsedAt} < ?)`,
    delete: `DELETE FROM ${table} WHERE ${c('id')} = ?`,
    firstPage: `${select} WHERE ${c('ownerId')} = ? ORDER BY ${c('id')} LIMIT ${pageSize}`,
    nextPage:
      `${select} WHERE ${c('ownerId')} = ? AND ${c('id')} > ? ` +
      `ORDER BY ${c('id')} LIMIT ${pageSize}`,
  };
  return Object.fromEntries(
    Object.entries(sql).map(([name, text]) => [name, placeholders(text, dialect)]),
  ) as typeof sql;
}
