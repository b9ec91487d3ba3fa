import type { JsonValue } from '../models/feature-flag.model';
import { ErrorCode, EvaluationReason, type EvaluationDetails } from '../models/evaluation.model';
import type { Freshness } from '../storage/flag-source';
import type { FlagEvaluation } from './evaluation.engine';

/** What the typed getters ask for. */
export type ValueKind = 'boolean' | 'string' | 'number' | 'object';

/** An evaluation that produced no flag value: the caller's default is served instead. */
export interface Failure {
  failed: true;
  flagKey: string;
  reason: EvaluationReason;
  errorCode: ErrorCode;
  errorMessage: string;
}

export function failure(
  flagKey: string,
  reason: EvaluationReason,
  errorCode: ErrorCode,
  errorMessage: string,
): Failure {
  return { failed: true, flagKey, reason, errorCode, errorMessage };
}

export function notFound(key: string): Failure {
  return failure(key, 'DEFAULT', 'FLAG_NOT_FOUND', `flag "${key}" not found`);
}

export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as Failure).failed === true;
}

/** Evaluations served from a cache the storage could not refresh say so in their reason. */
export function withFreshness(evaluation: FlagEvaluation, freshness: Freshness): FlagEvaluation {
  if (freshness !== 'fresh' && evaluation.reason !== EvaluationReason.ERROR) {
    evaluation.reason = freshness === 'stale' ? EvaluationReason.STALE : EvaluationReason.CACHED;
  }
  return evaluation;
}

export function withValue<T>(
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
export function detailsOf(evaluation: FlagEvaluation | Failure): EvaluationDetails {
  return withValue(evaluation, isFailure(evaluation) ? null : evaluation.value);
}

/** "Is it on" with its details; `defaultValue` when the flag is missing or failed. */
export function enabledDetails(
  evaluation: FlagEvaluation | Failure,
  defaultValue: boolean,
): EvaluationDetails<boolean> {
  return withValue(evaluation, isFailure(evaluation) ? defaultValue : evaluation.enabled);
}

/** The typed getters' rules: an unset value gives the caller's default, a wrong type an error. */
export function typedDetails<T>(
  evaluation: FlagEvaluation | Failure,
  defaultValue: T,
  kind: ValueKind,
): EvaluationDetails<T> {
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
        errorMessage: `flag "${evaluation.flagKey}" holds ${describeKind(value)}, not ${kind === 'object' ? 'an object' : `a ${kind}`}`,
      },
      defaultValue,
    );
  }
  return withValue(evaluation, value as T);
}

function isKind(value: JsonValue, kind: ValueKind): boolean {
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value);
  return kind === 'object' ? typeof value === 'object' && value !== null : typeof value === kind;
}

function describeKind(value: JsonValue): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
