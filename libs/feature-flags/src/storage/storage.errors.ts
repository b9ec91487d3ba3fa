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

/**
 * Input that cannot be stored as given (empty key, rollout outside 0–100, a control character in
 * a name, a priority beyond 32 bits, …). The same input is refused on every backend.
 */
export class InvalidFlagError extends FeatureFlagStorageError {
  override readonly name = 'InvalidFlagError';

  /** @param field the offending field, as a path (`rules.0.priority`), when there is one. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * `updateFlag` with a `version` that is no longer the stored one: someone else changed the flag
 * since it was read. Read it again, apply the change again (`modifyFlag` does both) or give up.
 */
export class FlagVersionConflictError extends FeatureFlagStorageError {
  override readonly name = 'FlagVersionConflictError';

  constructor(
    readonly key: string,
    /** The version the update was based on. */
    readonly expected: number,
    /** The version stored now. */
    readonly actual: number,
  ) {
    super(
      `feature flag "${key}" was changed concurrently: expected version ${expected}, found ${actual}`,
    );
  }
}

/** An edit helper (`updateRule`, `removeRule`) named a rule id the flag does not have. */
export class FlagRuleNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'FlagRuleNotFoundError';

  constructor(
    readonly key: string,
    readonly ruleId: string,
  ) {
    super(`feature flag "${key}" has no rule with id "${ruleId}"`);
  }
}

/** An edit helper (`updateVariant`, `removeVariant`) named a variant key the flag does not have. */
export class FlagVariantNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'FlagVariantNotFoundError';

  constructor(
    readonly key: string,
    readonly variantKey: string,
  ) {
    super(`feature flag "${key}" has no variant "${variantKey}"`);
  }
}

/** `createSegment` (or `updateSegment`) with a name another segment already has. */
export class SegmentAlreadyExistsError extends FeatureFlagStorageError {
  override readonly name = 'SegmentAlreadyExistsError';

  constructor(readonly segmentName: string) {
    super(`a segment named "${segmentName}" already exists`);
  }
}

/** `updateSegment` for an id that is not stored. */
export class SegmentNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'SegmentNotFoundError';

  constructor(readonly id: string) {
    super(`no segment with id "${id}"`);
  }
}

/** `createEnvironment` (or `updateEnvironment`) with a slug another environment already has. */
export class EnvironmentAlreadyExistsError extends FeatureFlagStorageError {
  override readonly name = 'EnvironmentAlreadyExistsError';

  constructor(readonly slug: string) {
    super(`an environment with slug "${slug}" already exists`);
  }
}

/** `updateEnvironment` for an id that is not stored. */
export class EnvironmentNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'EnvironmentNotFoundError';

  constructor(readonly id: string) {
    super(`no environment with id "${id}"`);
  }
}

/** `createEnvironmentFlag` for an (environment, flag) pair that has settings already. */
export class EnvironmentFlagAlreadyExistsError extends FeatureFlagStorageError {
  override readonly name = 'EnvironmentFlagAlreadyExistsError';

  constructor(
    readonly environmentId: string,
    readonly flagId: string,
  ) {
    super(`flag "${flagId}" is configured in environment "${environmentId}" already`);
  }
}

/** `updateEnvironmentFlag` for a pair that has no settings. */
export class EnvironmentFlagNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'EnvironmentFlagNotFoundError';

  constructor(
    readonly environmentId: string,
    readonly flagId: string,
  ) {
    super(`flag "${flagId}" is not configured in environment "${environmentId}"`);
  }
}

/** `updateScheduledChange` for an id that is not stored. */
export class ScheduledChangeNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'ScheduledChangeNotFoundError';

  constructor(readonly id: string) {
    super(`no scheduled change with id "${id}"`);
  }
}

/** `createRolloutPhase` with a phase number the flag has already. */
export class RolloutPhaseAlreadyExistsError extends FeatureFlagStorageError {
  override readonly name = 'RolloutPhaseAlreadyExistsError';

  constructor(
    readonly flagId: string,
    readonly phaseNumber: number,
  ) {
    super(`flag "${flagId}" has a rollout phase ${phaseNumber} already`);
  }
}

/**
 * A record names a flag or environment (by id) that does not exist: an environment flag, a
 * scheduled change, a rollout phase or a time schedule for a flag that was never created.
 */
export class ReferenceNotFoundError extends FeatureFlagStorageError {
  override readonly name = 'ReferenceNotFoundError';

  constructor(
    /** `flagId` or `environmentId`. */
    readonly field: string,
    readonly id: string,
  ) {
    super(`${field} "${id}" names no ${field === 'flagId' ? 'feature flag' : 'environment'}`);
  }
}
