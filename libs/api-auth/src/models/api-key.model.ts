import { deepCopy } from '@gatekeeper/common';

/**
 * A stored API key. The plaintext key is never part of this record: only its hash (`keyHash`)
 * and a short display `prefix` survive `ApiKeyService.create()`.
 */
export interface ApiKey {
  /** Random UUID; stable across the key's life. */
  id: string;
  /** Human label ("CI deploy key"). */
  name: string;
  /** Who the key acts for (user, service account, tenant…). Indexed for `listByOwner`. */
  ownerId: string;
  /** The first characters of the key (`sk_Ab12cd`), enough to recognise it in a list, never enough to use it. */
  prefix: string;
  /** Hex SHA-256 of the key, or HMAC-SHA256 when a `pepper` is configured. Unique. */
  keyHash: string;
  /** Granted scopes, e.g. `flags:read`; `resource:*` grants every scope under `resource:`. */
  scopes: string[];
  /** Free-form JSON-serialisable data owned by the application. */
  metadata: Record<string, unknown>;
  createdAt: Date;
  /** `null` = never expires. Rotation sets it to the end of the grace period. */
  expiresAt: Date | null;
  /** `null` = active. Once set it is never cleared: revocation is one-way. */
  revokedAt: Date | null;
  /** Updated at most once per `lastUsedInterval` per key, off the request's critical path. */
  lastUsedAt: Date | null;
  /**
   * Optimistic concurrency: 1 when created, incremented by every `update()` (never by recording
   * `lastUsedAt`). Storages always return it. Given to `update()`, the update applies only if the
   * stored key still has this version (`ApiKeyVersionConflictError` otherwise); omitted, the
   * update applies whatever the stored version.
   */
  version?: number;
}

/** Epoch milliseconds of a date field; tolerates custom storages that hand back ISO strings. */
export function timeOf(value: Date | string): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

const API_KEY_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'ownerId',
  'prefix',
  'keyHash',
  'scopes',
  'metadata',
  'createdAt',
  'expiresAt',
  'revokedAt',
  'lastUsedAt',
  'version',
]);
const DATE_FIELDS = ['createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'] as const;

/**
 * How to copy `apiKey` (and records of its shape) for a caller that may change the copy: chosen
 * once per stored record by the cache that hands it out on every request. A record holding only
 * `ApiKey`'s fields, with its dates as `Date`s or strings, is copied field by field, about a
 * quarter of `deepCopy`'s cost on the guard's path; anything else a custom storage returns (more
 * fields, other objects) by `deepCopy`. Both give the same result for such a record.
 */
export function apiKeyCopier(apiKey: ApiKey): (apiKey: ApiKey) => ApiKey {
  const plain =
    Object.keys(apiKey).every((field) => API_KEY_FIELDS.has(field)) &&
    Array.isArray(apiKey.scopes) &&
    typeof apiKey.metadata === 'object' &&
    apiKey.metadata !== null &&
    apiKey.scopes.every((scope) => typeof scope === 'string') &&
    DATE_FIELDS.every((field) => {
      const value: unknown = apiKey[field];
      return (
        value === null || value === undefined || value instanceof Date || typeof value === 'string'
      );
    });
  return plain ? copyPlainApiKey : deepCopy;
}

/** `deepCopy` of a record `apiKeyCopier` found plain: its objects are scopes, metadata, dates. */
function copyPlainApiKey(apiKey: ApiKey): ApiKey {
  const copy = { ...apiKey, scopes: apiKey.scopes.slice(), metadata: deepCopy(apiKey.metadata) };
  if (apiKey.createdAt instanceof Date) copy.createdAt = new Date(apiKey.createdAt.getTime());
  if (apiKey.expiresAt instanceof Date) copy.expiresAt = new Date(apiKey.expiresAt.getTime());
  if (apiKey.revokedAt instanceof Date) copy.revokedAt = new Date(apiKey.revokedAt.getTime());
  if (apiKey.lastUsedAt instanceof Date) copy.lastUsedAt = new Date(apiKey.lastUsedAt.getTime());
  return copy;
}
