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
