import {
  integerProblem,
  isStoredText,
  storedJsonProblem,
  storedTextProblem,
} from '@gatekeeper/common';
import { InvalidApiKeyInputError } from './api-key.errors';
import type { ApiKey } from './models/api-key.model';

/**
 * What an API-key record may hold, the same on every backend: the limits of the smallest column
 * that stores each field (see `storage/database/api-keys.table.ts`). `id` and `owner_id` are
 * `varchar(255)`, `prefix` `varchar(64)`, `key_hash` `varchar(128)`; `name`, `scopes` and
 * `metadata` are `text`, which MySQL/MariaDB caps at 65,535 bytes. A name or a scope is a label,
 * so it gets a label's length. PostgreSQL refuses NUL in any text, so no stored string holds one.
 */
export const API_KEY_LIMITS = {
  id: 255,
  ownerId: 255,
  name: 255,
  scope: 255,
  prefix: 64,
  keyHash: 128,
  /** UTF-8 bytes of the JSON of `scopes`, and of `metadata` (MySQL `text`). */
  jsonBytes: 65_535,
  /** Nesting depth of `metadata`. */
  jsonDepth: 32,
} as const;

/**
 * Whether `value` could be the id, owner or key hash of a stored key. Reads and deletes answer
 * "not found" for anything else without asking the database, which would fail on some of these
 * values (PostgreSQL: `invalid byte sequence for encoding "UTF8": 0x00`) where the others answer
 * nothing: every backend says the same.
 */
export function isPossibleKeyText(value: unknown): value is string {
  return isStoredText(value, { maxLength: API_KEY_LIMITS.id });
}

/** @throws InvalidApiKeyInputError naming `field` when `value` is not storable one-line text. */
export function assertStorableText(field: string, value: unknown, maxLength: number): void {
  const problem = storedTextProblem(value, { maxLength });
  if (problem) throw new InvalidApiKeyInputError(field, problem);
}

/** @throws InvalidApiKeyInputError unless `scopes` is an array of storable strings within the JSON bound. */
export function assertStorableScopes(scopes: unknown): asserts scopes is string[] {
  if (!Array.isArray(scopes)) {
    throw new InvalidApiKeyInputError('scopes', 'must be an array of strings');
  }
  for (const scope of scopes as unknown[])
    assertStorableText('scopes', scope, API_KEY_LIMITS.scope);
  const problem = storedJsonProblem(scopes, { maxLength: API_KEY_LIMITS.jsonBytes });
  if (problem) throw new InvalidApiKeyInputError('scopes', problem);
}

/** @throws InvalidApiKeyInputError unless `metadata` is a plain JSON object within the bounds. */
export function assertStorableMetadata(
  metadata: unknown,
): asserts metadata is Record<string, unknown> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidApiKeyInputError('metadata', 'must be a plain object');
  }
  const problem = storedJsonProblem(metadata, {
    maxDepth: API_KEY_LIMITS.jsonDepth,
    maxLength: API_KEY_LIMITS.jsonBytes,
  });
  if (problem) throw new InvalidApiKeyInputError('metadata', problem);
}

/**
 * What every built-in storage checks in `create()`: each text field fits its column and holds no
 * control character, `scopes` and `metadata` are storable JSON. Semantics (a non-empty name, the
 * scope syntax, an expiry in the future) are `ApiKeyService.create()`'s to check.
 *
 * @throws InvalidApiKeyInputError before any I/O.
 */
export function assertStorableApiKey(apiKey: ApiKey): void {
  assertStorableText('id', apiKey.id, API_KEY_LIMITS.id);
  assertStorableText('name', apiKey.name, API_KEY_LIMITS.name);
  assertStorableText('ownerId', apiKey.ownerId, API_KEY_LIMITS.ownerId);
  assertStorableText('prefix', apiKey.prefix, API_KEY_LIMITS.prefix);
  assertStorableText('keyHash', apiKey.keyHash, API_KEY_LIMITS.keyHash);
  assertStorableScopes(apiKey.scopes);
  assertStorableMetadata(apiKey.metadata);
  versionOf(apiKey);
}

/**
 * The version `update()` must find stored (`undefined`: any), or the one `create()` stores (then
 * `?? 1`). A positive 32-bit integer, as SQL `integer` holds.
 *
 * @throws InvalidApiKeyInputError for anything else.
 */
export function versionOf(apiKey: Pick<ApiKey, 'version'>): number | undefined {
  const { version } = apiKey;
  if (version === undefined || version === null) return undefined;
  const problem = integerProblem(version, { min: 1 });
  if (problem) throw new InvalidApiKeyInputError('version', problem);
  return version;
}
