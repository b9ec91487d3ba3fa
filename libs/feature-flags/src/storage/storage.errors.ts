/**
 * Errors every FeatureFlagStorage throws for the same conditions, so admin code can catch them
 * without knowing which backend is configured.
 */
export class FeatureFlagStorageError extends Error {
  override readonly name: string = 'FeatureFlagStorageError';
}

/** `createFlag` with a key that is already stored. */
export class FlagAlreadyExistsError extends FeatureFlagStorageError {
  override readonly name = 'FlagAlreadyExistsError';

  constructor(readonly key: string) {
    super(`a feature flag with key "${key}" already exists`);
  }
}

/** `updateFlag` for a key that is not stored. */
export class FlagNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'FlagNotFoundError';

  constructor(readonly key: string) {
    super(`no feature flag with key "${key}"`);
  }
}

/** Input that cannot be stored as given (empty key, rollout outside 0–100, …). */
export class InvalidFlagError extends FeatureFlagStorageError {
  override readonly name = 'InvalidFlagError';
}
