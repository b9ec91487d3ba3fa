// Types only: @openfeature/server-sdk and @opentelemetry/api are optional peers; this file, which
// the package index loads, requires neither at load time.
import type { EvaluationDetails, FlagValue, Hook, HookContext } from '@openfeature/server-sdk';
import { openTelemetryTracing, type GatekeeperTracing } from '@gatekeeper/common';
import { recordFlagEvaluation } from './evaluation-event.tracing';

/**
 * An OpenFeature hook that records every flag evaluation as a `feature_flag.evaluation` event on
 * the active OpenTelemetry span, with the attributes `@FeatureFlag()` routes record under
 * `tracing: true` (docs/observability.md). Register it once, on the API or on a client:
 * `OpenFeature.addHooks(new GatekeeperTracingHook())`. Works with any provider. Without an active
 * recording span (no SDK, not sampled, outside a request) it does nothing.
 *
 * Unlike the hooks of `@openfeature/open-telemetry-hooks`, it never records the targeting key
 * (`feature_flag.context.id`: a user id) nor string and object values.
 * @throws MissingDriverError when @opentelemetry/api is not installed.
 */
export class GatekeeperTracingHook implements Hook {
  private readonly tracing: GatekeeperTracing = openTelemetryTracing('feature_flags');

  /** The one stage that sees every answer, errors included. */
  finally(
    hookContext: Readonly<HookContext<FlagValue>>,
    evaluationDetails?: EvaluationDetails<FlagValue>,
  ): void {
    const span = this.tracing.recordingSpan();
    // SDKs before spec 0.8 call `finally` without the details.
    if (span === undefined || evaluationDetails === undefined) return;
    recordFlagEvaluation(
      span,
      hookContext.flagKey,
      hookContext.providerMetadata.name,
      evaluationDetails,
    );
  }
}
