/** Machine-readable reasons a presented key is refused; they are also the HTTP `code` values. */
export type ApiKeyRejectionCode = 'invalid_api_key' | 'expired_api_key' | 'revoked_api_key';

/** Base class of the errors `ApiKeyService.verify()` throws for a key that must be refused. */
export abstract class ApiKeyVerificationError extends Error {
  abstract readonly code: ApiKeyRejectionCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The key is not one of ours. Its two subclasses exist for metrics and logs only: callers get the
 * same code and message for both, so probing cannot tell a well-formed guess from garbage.
 */
export class InvalidApiKeyError extends ApiKeyVerificationError {
  readonly code = 'invalid_api_key';

  constructor() {
    super('Invalid API key');
  }
}

/** Wrong prefix, length, alphabet or checksum: refused without a storage lookup. */
export class MalformedApiKeyError extends InvalidApiKeyError {}

/** Well-formed but no stored key has its hash. */
export class UnknownApiKeyError extends InvalidApiKeyError {}

export class ExpiredApiKeyError extends ApiKeyVerificationError {
  readonly code = 'expired_api_key';

  constructor(readonly apiKeyId: string) {
    super('API key expired');
  }
}

export class RevokedApiKeyError extends ApiKeyVerificationError {
  readonly code = 'revoked_api_key';

  constructor(readonly apiKeyId: string) {
    super('API key revoked');
  }
}

/**
 * A value given to `ApiKeyService` or to a storage that no backend could store as it is: a NUL or
 * other control character, a string longer than its column, metadata nested too deep or too large
 * for the smallest SQL column, an expiry in the past. Every backend refuses the same values with
 * this error, before any I/O, instead of some storing them and others failing in the driver.
 *
 * A `TypeError`, as these failures were before it existed (a negative `gracePeriodSeconds` or an
 * `expiresAt` in the past were `RangeError`s).
 */
export class InvalidApiKeyInputError extends TypeError {
  constructor(
    /** The offending input property: `name`, `ownerId`, `scopes`, `metadata`, `expiresAt`… */
    readonly field: string,
    /** What is wrong with it, e.g. `must not contain control characters`. */
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
    this.name = new.target.name;
  }
}
