import type { JsonValue } from './feature-flag.model';

/** Who (and what) a flag is evaluated for. Every field is optional. */
export interface EvaluationContext {
  /** The id that rollouts and variant splits hash; falls back to `userId` when absent. */
  targetingKey?: string;
  userId?: string;
  organizationId?: string;
  tenantId?: string;
  environment?: string;
  appVersion?: string;
  ip?: string;
  userAgent?: string;
  country?: string;
  /** Anything else rules may test; built-in fields win over an attribute of the same name. */
  attributes?: Record<string, unknown>;
}

/** Why an evaluation produced its value (OpenFeature reasons). */
export const EvaluationReason = {
  /** The flag's default: no override, rule or variant applied. */
  STATIC: 'STATIC',
  /**
   * A fallback: the caller's default (flag missing, or its value unset), or the flag's default
   * when a variant split has no targeting key to split on.
   */
  DEFAULT: 'DEFAULT',
  TARGETING_MATCH: 'TARGETING_MATCH',
  OVERRIDE: 'OVERRIDE',
  SPLIT: 'SPLIT',
  /** The flag is not active: its default was served. */
  DISABLED: 'DISABLED',
  /** Evaluation failed: the caller's default was served. */
  ERROR: 'ERROR',
  /**
   * The storage is failing and the flag was evaluated from the in-process cache within its ttl
   * (the `localCache` option). `variant` still names the matching rule or variant.
   */
  CACHED: 'CACHED',
  /** As CACHED, from entries past their ttl (or without an override lookup the storage could not answer). */
  STALE: 'STALE',
} as const;
export type EvaluationReason = (typeof EvaluationReason)[keyof typeof EvaluationReason];

/** OpenFeature error codes. */
export const ErrorCode = {
  FLAG_NOT_FOUND: 'FLAG_NOT_FOUND',
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  PARSE_ERROR: 'PARSE_ERROR',
  GENERAL: 'GENERAL',
  TARGETING_KEY_MISSING: 'TARGETING_KEY_MISSING',
  INVALID_CONTEXT: 'INVALID_CONTEXT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface EvaluationDetails<T = JsonValue> {
  value: T;
  flagKey: string;
  reason: EvaluationReason;
  /** The variant key for SPLIT, the rule name for TARGETING_MATCH, otherwise `null`. */
  variant: string | null;
  errorCode: ErrorCode | null;
  /** Human-readable, with connection strings and passwords scrubbed. */
  errorMessage: string | null;
}
