/** Base class for errors a storage backend raises on purpose (as opposed to a driver failure). */
export class ApiKeyStorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `create()` was given an id or key hash that is already stored. */
export class ApiKeyAlreadyExistsError extends ApiKeyStorageError {
  constructor(
    /** Which unique field collided. */
    readonly field: 'id' | 'keyHash',
    options?: ErrorOptions,
  ) {
    // Never echo the hash itself: it is a lookup handle for the key.
    super(
      field === 'id' ? 'An API key with this id already exists' : 'API key hash collision',
      options,
    );
  }
}

/** `update()` (or a service call by id) named an id that is not stored. */
export class ApiKeyNotFoundError extends ApiKeyStorageError {
  constructor(
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super(`API key ${id} not found`, options);
  }
}

/**
 * `update()` was given a `version` that is no longer the stored one: someone else changed the key
 * since it was read. Read it again and decide (`ApiKeyService.revoke()` and `rotate()` do), or give up.
 */
export class ApiKeyVersionConflictError extends ApiKeyStorageError {
  constructor(
    readonly id: string,
    /** The version the update was based on. */
    readonly expected: number,
    /** The version stored now. */
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(
      `API key ${id} was changed concurrently: expected version ${expected}, found ${actual}`,
      options,
    );
  }
}

/**
 * A change that takes access away (`update()`, which revokes, or `delete()`) was applied on the
 * Redis primary, but none of its replicas confirmed it within the wait: a failover now could lose
 * it. The change is in effect; retry the call to have it confirmed, and do not report it done.
 */
export class ApiKeyReplicationError extends ApiKeyStorageError {
  constructor(
    readonly id: string,
    /** How long the storage waited for a replica, in milliseconds. */
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(
      `API key ${id}: the change was applied on the Redis primary, but no replica confirmed it ` +
        `within ${timeoutMs} ms, so a failover could still lose it; retry`,
      options,
    );
  }
}
