import { Logger, type LoggerService } from '@nestjs/common';
import { describeError } from '@gatekeeper/common';
import { evaluateFlag, overrideLookups, type FlagEvaluation } from './evaluation/evaluation.engine';
import type { FeatureFlag, FlagOverride, JsonValue } from './models/feature-flag.model';
import {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from './models/evaluation.model';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';

export interface FeatureFlagClientOptions {
  storage: FeatureFlagStorage;
  /** Merged under every context passed to the client (explicit fields win). */
  defaultContext?: EvaluationContext;
  /** Where storage failures are reported (redacted). Default: a Nest `Logger`; `false` silences. */
  logger?: LoggerService | false;
}

type ValueKind = 'boolean' | 'string' | 'number' | 'object';

const CONTEXT_STRING_FIELDS = [
  'targetingKey',
  'userId',
  'organizationId',
  'tenantId',
  'environment',
  'appVersion',
  'ip',
  'userAgent',
  'country',
] as const;

/**
 * Evaluates flags from a storage. Every method resolves, never rejects: a missing flag, a value of
 * the wrong type or a storage failure yields the caller's default with a reason and error code,
 * because a flag lookup must never take a request down with it.
 */
export class FeatureFlagClient {
  private readonly storage: FeatureFlagStorage;
  private readonly defaultContext: EvaluationContext;
  private readonly logger: LoggerService | undefined;

  constructor(options: FeatureFlagClientOptions) {
    this.storage = options.storage;
    this.defaultContext = options.defaultContext ?? {};
    this.logger =
      options.logger === false ? undefined : (options.logger ?? new Logger(FeatureFlagClient.name));
  }

  /**
   * Whether the flag is on for this context: the value of a boolean flag, the "enabled" state of
   * any other type. `false` when the flag is missing or cannot be evaluated.
   */
  async isEnabled(key: string, context?: EvaluationContext): Promise<boolean> {
    return (await this.getEnabledDetails(key, false, context)).value;
  }

  /** `isEnabled` with its details, and a chosen answer for a missing flag or a failure. */
  async getEnabledDetails(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<boolean>> {
    const evaluation = await this.evaluate(key, context);
    if (isFailure(evaluation)) return withValue(evaluation, defaultValue);
    return withValue(evaluation, evaluation.enabled);
  }

  async getBooleanValue(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<boolean> {
    return (await this.getBooleanDetails(key, defaultValue, context)).value;
  }

  async getStringValue(
    key: string,
    defaultValue: string,
    context?: EvaluationContext,
  ): Promise<string> {
    return (await this.getStringDetails(key, defaultValue, context)).value;
  }

  async getNumberValue(
    key: string,
    defaultValue: number,
    context?: EvaluationContext,
  ): Promise<number> {
    return (await this.getNumberDetails(key, defaultValue, context)).value;
  }

  /** For `json` flags: an object or array. */
  async getObjectValue<T extends object>(
    key: string,
    defaultValue: T,
    context?: EvaluationContext,
  ): Promise<T> {
    return (await this.getObjectDetails(key, defaultValue, context)).value;
  }

  getBooleanDetails(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<boolean>> {
    return this.resolve(key, defaultValue, 'boolean', context);
  }

  getStringDetails(
    key: string,
    defaultValue: string,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<string>> {
    return this.resolve(key, defaultValue, 'string', context);
  }

  getNumberDetails(
    key: string,
    defaultValue: number,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<number>> {
    return this.resolve(key, defaultValue, 'number', context);
  }

  getObjectDetails<T extends object>(
    key: string,
    defaultValue: T,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<T>> {
    return this.resolve(key, defaultValue, 'object', context);
  }

  /**
   * Every active flag evaluated for this context, keyed by flag key. Empty when the storage
   * cannot be read (the failure is logged).
   */
  async getAllFlags(context?: EvaluationContext): Promise<Record<string, EvaluationDetails>> {
    const resolved = this.mergeContext(context);
    if (isFailure(resolved)) return {};
    let flags: FeatureFlag[];
    try {
      flags = await this.storage.getAllActiveFlags();
    } catch (error) {
      this.report('reading all active flags', error);
      return {};
    }
    return this.evaluateMany(flags, resolved);
  }

  /**
   * The given flags evaluated for this context, keyed by flag key; a missing flag is present with
   * FLAG_NOT_FOUND. The flags are read in one storage call (overrides cost one lookup per entity
   * id in the context).
   */
  async getFlags(
    keys: readonly string[],
    context?: EvaluationContext,
  ): Promise<Record<string, EvaluationDetails>> {
    const unique = [...new Set(keys)];
    const resolved = this.mergeContext(context);
    const failEach = (failed: Failure) =>
      Object.fromEntries(unique.map((key) => [key, detailsOf({ ...failed, flagKey: key }, null)]));
    if (isFailure(resolved)) return failEach(resolved);
    let flags: Map<string, FeatureFlag>;
    try {
      flags = await this.storage.getFlags(unique);
    } catch (error) {
      return failEach(this.storageFailure('', 'reading flags', error));
    }
    const found = [...flags.values()];
    const results = await this.evaluateMany(found, resolved);
    for (const key of unique) {
      results[key] ??= detailsOf(notFound(key), null);
    }
    return results;
  }

  private async resolve<T>(
    key: string,
    defaultValue: T,
    kind: ValueKind,
    context: EvaluationContext | undefined,
  ): Promise<EvaluationDetails<T>> {
    const evaluation = await this.evaluate(key, context);
    if (isFailure(evaluation)) return withValue(evaluation, defaultValue);
    const { value } = evaluation;
    if (value === null || value === undefined) {
      // An unset value (a string flag without defaultValue) is not an error: the caller's default stands.
      return withValue({ ...evaluation, reason: EvaluationReason.DEFAULT }, defaultValue);
    }
    if (!isKind(value, kind)) {
      return withValue(
        {
          ...evaluation,
          reason: EvaluationReason.ERROR,
          errorCode: ErrorCode.TYPE_MISMATCH,
          errorMessage: `flag "${key}" holds ${describeKind(value)}, not ${kind === 'object' ? 'an object' : `a ${kind}`}`,
        },
        defaultValue,
      );
    }
    return withValue(evaluation, value as T);
  }

  /** Fetches what one flag needs and runs the synchronous engine; a failure is returned, not thrown. */
  private async evaluate(
    key: string,
    context: EvaluationContext | undefined,
  ): Promise<FlagEvaluation | Failure> {
    const resolved = this.mergeContext(context, key);
    if (isFailure(resolved)) return resolved;
    let flag: FeatureFlag | null;
    try {
      flag = await this.storage.getFlag(key);
    } catch (error) {
      return this.storageFailure(key, `reading flag "${key}"`, error);
    }
    if (!flag) return notFound(key);
    return this.evaluateOne(flag, resolved);
  }

  private async evaluateMany(
    flags: readonly FeatureFlag[],
    context: EvaluationContext,
  ): Promise<Record<string, EvaluationDetails>> {
    const evaluations = await Promise.all(flags.map((flag) => this.evaluateOne(flag, context)));
    return Object.fromEntries(
      evaluations.map((evaluation) => [evaluation.flagKey, detailsOf(evaluation, null)]),
    );
  }

  private async evaluateOne(
    flag: FeatureFlag,
    context: EvaluationContext,
  ): Promise<FlagEvaluation | Failure> {
    let overrides: Array<FlagOverride | null> = [];
    // An inactive flag ignores overrides, so don't pay for the lookups.
    if (flag.status === 'active') {
      try {
        // In parallel: the lookups are independent and evaluation takes the first in order.
        overrides = await Promise.all(
          overrideLookups(context).map(({ entityType, entityId }) =>
            this.storage.getOverride(flag.id, entityType, entityId),
          ),
        );
      } catch (error) {
        return this.storageFailure(flag.key, `reading overrides of flag "${flag.key}"`, error);
      }
    }
    return evaluateFlag(flag, context, overrides);
  }

  /** The client's default context under the caller's, or INVALID_CONTEXT for a malformed one. */
  private mergeContext(
    context: EvaluationContext | undefined,
    flagKey = '',
  ): EvaluationContext | Failure {
    if (context !== undefined && context !== null) {
      const problem = contextProblem(context);
      if (problem) {
        return failure(flagKey, EvaluationReason.ERROR, ErrorCode.INVALID_CONTEXT, problem);
      }
    }
    const base = this.defaultContext;
    const own = context ?? {};
    const merged: EvaluationContext = {
      ...base,
      ...stripUndefined(own),
      attributes: { ...base.attributes, ...own.attributes },
    };
    // Rollouts hash the targeting key; a signed-in user is the natural one when none is given.
    merged.targetingKey ??= merged.userId;
    return merged;
  }

  private storageFailure(flagKey: string, action: string, error: unknown): Failure {
    const message = `feature flag storage failed while ${action}: ${describeError(error)}`;
    this.report(action, error);
    return failure(flagKey, EvaluationReason.ERROR, ErrorCode.GENERAL, message);
  }

  private report(action: string, error: unknown): void {
    this.logger?.warn(
      `feature flag storage failed while ${action}; serving defaults: ${describeError(error)}`,
    );
  }
}

/** An evaluation that produced no flag value: the caller's default is served instead. */
interface Failure {
  failed: true;
  flagKey: string;
  reason: EvaluationReason;
  errorCode: ErrorCode;
  errorMessage: string;
}

function failure(
  flagKey: string,
  reason: EvaluationReason,
  errorCode: ErrorCode,
  errorMessage: string,
): Failure {
  return { failed: true, flagKey, reason, errorCode, errorMessage };
}

function notFound(key: string): Failure {
  return failure(
    key,
    EvaluationReason.DEFAULT,
    ErrorCode.FLAG_NOT_FOUND,
    `flag "${key}" not found`,
  );
}

function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as Failure).failed === true;
}

function withValue<T>(
  source: Omit<EvaluationDetails<unknown>, 'value' | 'variant'> & { variant?: string | null },
  value: T,
): EvaluationDetails<T> {
  return {
    value,
    flagKey: source.flagKey,
    reason: source.reason,
    variant: source.variant ?? null,
    errorCode: source.errorCode ?? null,
    errorMessage: source.errorMessage ?? null,
  };
}

/** Public details of an evaluation (or failure), without the engine's `enabled` field. */
function detailsOf(evaluation: FlagEvaluation | Failure, fallback: JsonValue): EvaluationDetails {
  return withValue(evaluation, isFailure(evaluation) ? fallback : evaluation.value);
}

function isKind(value: unknown, kind: ValueKind): boolean {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null;
  }
}

function describeKind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function contextProblem(context: unknown): string | null {
  if (typeof context !== 'object' || Array.isArray(context)) {
    return 'the evaluation context must be an object';
  }
  const fields = context as Record<string, unknown>;
  for (const field of CONTEXT_STRING_FIELDS) {
    const value = fields[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return `context.${field} must be a string (got ${typeof value})`;
    }
  }
  const attributes = fields.attributes;
  if (
    attributes !== undefined &&
    attributes !== null &&
    (typeof attributes !== 'object' || Array.isArray(attributes))
  ) {
    return 'context.attributes must be an object';
  }
  return null;
}

function stripUndefined(context: EvaluationContext): EvaluationContext {
  return Object.fromEntries(
    Object.entries(context).filter(([, value]) => value !== undefined && value !== null),
  );
}
