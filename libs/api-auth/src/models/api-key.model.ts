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
