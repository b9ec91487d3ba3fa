import type { TraceAttributes, TraceSpan } from '@gatekeeper/common';

/** OpenTelemetry's event for one flag evaluation (semantic conventions for feature flags). */
export const FLAG_EVALUATION_EVENT = 'feature_flag.evaluation';

/** What an evaluation answered, in OpenFeature's terms (both `EvaluationDetails` fit). */
export interface FlagEvaluationOutcome {
  value: unknown;
  reason?: string;
  variant?: string | null;
  errorCode?: string | null;
}

/**
 * Adds a `feature_flag.evaluation` event to `span`, with the attributes of the OpenTelemetry
 * semantic conventions: `feature_flag.key`, `feature_flag.provider.name`,
 * `feature_flag.result.reason` and `error.type` in lower snake case, `feature_flag.result.variant`
 * when there is one, and `feature_flag.result.value` for boolean values only. Left out on purpose:
 * `feature_flag.context.id` (the targeting key is a user id), other values (a string or JSON value
 * may hold anything: name it with a variant) and error messages.
 */
export function recordFlagEvaluation(
  span: TraceSpan,
  flagKey: string,
  providerName: string,
  outcome: FlagEvaluationOutcome,
): void {
  const attributes: TraceAttributes = {
    'feature_flag.key': flagKey,
    'feature_flag.provider.name': providerName,
    'feature_flag.result.reason': (outcome.reason ?? 'UNKNOWN').toLowerCase(),
  };
  if (outcome.variant) attributes['feature_flag.result.variant'] = outcome.variant;
  if (typeof outcome.value === 'boolean') attributes['feature_flag.result.value'] = outcome.value;
  if (outcome.errorCode) attributes['error.type'] = outcome.errorCode.toLowerCase();
  span.addEvent(FLAG_EVALUATION_EVENT, attributes);
}
