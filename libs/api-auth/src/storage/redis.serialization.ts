import type { ApiKey } from '../models/api-key.model';

/**
 * The one JSON form of an API key in Redis, used by `RedisApiKeyStorage` and the cache:
 * snake_case fields, ISO-8601 UTC timestamps.
 *
 * The fields come in a fixed order of three segments so the Lua merge can splice a record without
 * decoding and re-encoding it (Redis' cjson turns `[]` into `{}` and rounds numbers to 14 digits,
 * which would corrupt `scopes` and `metadata`):
 *
 *   {"id":…,"owner_id":…,"prefix":…,"key_hash":…,"created_at":"…"   identity, never changes
 *   ,"name":…,"scopes":[…],"metadata":{…},"expires_at":…          replaced by update()
 *   ,"revoked_at":…,"last_used_at":…,"version":N}                  merged by the script
 *
 * `revoked_at` and `last_used_at` are `null` or a quoted `toISOString()`, which compare correctly
 * as strings. Records written before versions existed end after `last_used_at`: they read as
 * version 1, and the script writes the version in on their next update.
 */
export function serializeApiKey(apiKey: ApiKey): string {
  const identity = JSON.stringify({
    id: apiKey.id,
    owner_id: apiKey.ownerId,
    prefix: apiKey.prefix,
    key_hash: apiKey.keyHash,
    created_at: isoString(apiKey.createdAt),
  }).slice(0, -1);
  return (
    identity +
    replaceableFieldsJson(apiKey) +
    `,"revoked_at":${timestampJson(apiKey.revokedAt)},"last_used_at":${timestampJson(apiKey.lastUsedAt)}` +
    `,"version":${apiKey.version ?? 1}}`
  );
}

/** The middle segment: `,"name":…,"expires_at":…`. */
export function replaceableFieldsJson(apiKey: ApiKey): string {
  const fields = JSON.stringify({
    name: apiKey.name,
    scopes: apiKey.scopes,
    metadata: apiKey.metadata,
    expires_at: apiKey.expiresAt ? isoString(apiKey.expiresAt) : null,
  });
  return `,${fields.slice(1, -1)}`;
}

/** `null` or `"2030-01-01T00:00:00.000Z"`, as it appears in the record. */
export function timestampJson(date: Date | string | null): string {
  return date ? JSON.stringify(isoString(date)) : 'null';
}

interface ApiKeyJson {
  id: string;
  owner_id: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  name: string;
  scopes: string[];
  metadata: Record<string, unknown>;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  version?: number;
}

export function deserializeApiKey(json: string): ApiKey {
  const record = JSON.parse(json) as ApiKeyJson;
  return {
    id: record.id,
    name: record.name,
    ownerId: record.owner_id,
    prefix: record.prefix,
    keyHash: record.key_hash,
    scopes: record.scopes,
    metadata: record.metadata,
    createdAt: new Date(record.created_at),
    expiresAt: toDate(record.expires_at),
    revokedAt: toDate(record.revoked_at),
    lastUsedAt: toDate(record.last_used_at),
    version: record.version ?? 1,
  };
}

function toDate(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso);
}

/** Tolerates ISO strings from callers that did not build a Date. */
function isoString(date: Date | string): string {
  const parsed = new Date(date);
  if (Number.isNaN(parsed.getTime())) throw new TypeError(`invalid date: ${String(date)}`);
  return parsed.toISOString();
}
