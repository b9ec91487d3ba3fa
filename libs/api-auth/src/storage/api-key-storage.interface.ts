import type { ApiKey } from '../models/api-key.model';

/**
 * Where API keys live. Bound to the `API_KEY_STORAGE` token (inject it with
 * `@InjectApiKeyStorage()`); implement it to plug in your own backend via the `storage` option.
 *
 * Every method except `healthCheck` may reject when the backend is unreachable; the guard turns
 * that into a 503, never into a pass. An id, owner or hash that no stored key can have (one with a
 * NUL character, say) is not found, like any other: never a driver error. Implementations return copies: mutating a returned
 * `ApiKey` must not change what is stored.
 */
export interface ApiKeyStorage {
  /** The key whose `keyHash` equals `keyHash`, or `null`. The only call on the request hot path. */
  getByHash(keyHash: string): Promise<ApiKey | null>;

  getById(id: string): Promise<ApiKey | null>;

  /**
   * Stores a new key and returns the stored copy, at `version` 1 unless the key carries one.
   * @throws ApiKeyAlreadyExistsError when `id` or `keyHash` is already stored.
   * @throws InvalidApiKeyInputError (the built-in storages, all alike) when a field could not be
   *   stored by every backend: a control character, a string longer than its column, metadata
   *   too deep or too large.
   */
  create(apiKey: ApiKey): Promise<ApiKey>;

  /**
   * Writes the mutable fields of the key with `apiKey.id` and returns the stored result.
   *
   * Several instances update keys concurrently (revocation from an admin call, `lastUsedAt`
   * from every request), so an update must never lose a concurrent change:
   * - `revokedAt`: once stored it is never cleared or moved. An update carrying `null` or another
   *   date keeps the stored value. Revocation is one-way.
   * - `lastUsedAt`: only moves forward — the stored value becomes the later of stored and given
   *   (`null` never erases a stored date).
   * - `id`, `keyHash`, `prefix`, `ownerId`, `createdAt` identify the key and are never changed
   *   by an update (the stored values are kept; rotation creates a new key instead).
   * - `name`, `scopes`, `metadata`, `expiresAt` are replaced by the given values.
   *
   * - `version`: when given, the update applies only if it is the stored version; otherwise
   *   nothing changes and `ApiKeyVersionConflictError` is thrown. Either way a successful update
   *   stores and returns the next version (`touch` never moves it).
   *
   * Backends apply these rules atomically (SQL `UPDATE … SET revoked_at = COALESCE(revoked_at, ?)`
   * `… WHERE version = ?`, a Lua script in Redis), not as a read-then-write in application code.
   *
   * @throws ApiKeyNotFoundError when no key has `apiKey.id`.
   * @throws ApiKeyVersionConflictError when `apiKey.version` is given and stale.
   */
  update(apiKey: ApiKey): Promise<ApiKey>;

  /** Removes the key. `true` if it existed. */
  delete(id: string): Promise<boolean>;

  /** Every key of `ownerId` (active, expired and revoked), streamed so large owners stay cheap. */
  listByOwner(ownerId: string): AsyncIterable<ApiKey>;

  /**
   * Optional fast path for usage tracking: set `lastUsedAt` to the later of the stored value and
   * `lastUsedAt`, touching nothing else. Without it the service reads the key by id and calls
   * `update()`. Resolves quietly when the id no longer exists (the key was deleted meanwhile).
   */
  touch?(id: string, lastUsedAt: Date): Promise<void>;

  /** `true` when the backend answers. Never rejects: a failure is `false`. */
  healthCheck(): Promise<boolean>;

  /** Releases what the storage itself opened. Clients handed in by the user stay open. */
  close(): Promise<void>;
}
