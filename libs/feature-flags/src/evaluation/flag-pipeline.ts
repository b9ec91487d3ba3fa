import type { LoggerService } from '@nestjs/common';
import {
  describeError,
  isPromiseLike,
  type GatekeeperMetrics,
  type MaybePromise,
} from '@gatekeeper/common';
import {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from '../models/evaluation.model';
import type { FlagInputs, FlagRead, FlagSource } from '../storage/flag-source';
import { copyContext, resolveContext } from './evaluation-context';
import {
  detailsOf,
  failure,
  isFailure,
  notFound,
  withFreshness,
  type Failure,
} from './evaluation-result';
import { evaluateFlag, type FlagEvaluation } from './evaluation.engine';

export type Evaluated = FlagEvaluation | Failure;

/**
 * The read pipeline behind `FeatureFlagClient` (docs/pipeline.md): context, source, engine, for
 * one flag or in bulk. A failure is returned (or, in bulk, turned into details), never thrown; a
 * source that answers synchronously gets a synchronous verdict.
 */
export class FlagPipeline {
  constructor(
    private readonly source: FlagSource,
    /** The default context, `undefined` when there is nothing to merge. */
    private readonly defaults: EvaluationContext | undefined,
    private readonly logger: LoggerService | undefined,
    private readonly metrics: GatekeeperMetrics | undefined,
    private readonly now: () => number,
  ) {}

  /** One flag: a verdict now when the source answered synchronously, else a promise of one. */
  evaluate(key: string, context: EvaluationContext | undefined): Evaluated | Promise<Evaluated> {
    const resolved = resolveContext(context, this.defaults, key);
    const evaluated = isFailure(resolved)
      ? resolved
      : this.run(key, null, resolved, resolved === context);
    if (this.metrics === undefined) return evaluated;
    return isPromiseLike(evaluated) ? evaluated.then(this.count) : this.count(evaluated);
  }

  /** Every active flag, keyed by flag key; `{}` when the storage cannot be read (logged). */
  async evaluateAll(
    context: EvaluationContext | undefined,
  ): Promise<Record<string, EvaluationDetails>> {
    const resolved = this.ownContext(context);
    if (isFailure(resolved)) return {};
    let reads: FlagRead[];
    try {
      reads = await this.source.readActiveFlags(resolved);
    } catch (error) {
      this.report('reading all active flags', error);
      return {};
    }
    const evaluations = await Promise.all(
      reads.map(async (read) => this.run(read.flag.key, read, resolved, false)),
    );
    return Object.fromEntries(
      evaluations.map((evaluation) => [evaluation.flagKey, detailsOf(this.counted(evaluation))]),
    );
  }

  /** The given flags (read in one storage call), keyed by flag key; missing: FLAG_NOT_FOUND. */
  async evaluateMany(
    keys: readonly string[],
    context: EvaluationContext | undefined,
  ): Promise<Record<string, EvaluationDetails>> {
    const unique = [...new Set(keys)];
    const resolved = this.ownContext(context);
    const failEach = (failed: Failure) =>
      Object.fromEntries(unique.map((key) => [key, detailsOf({ ...failed, flagKey: key })]));
    if (isFailure(resolved)) return failEach(resolved);
    let reads: Map<string, FlagRead>;
    try {
      reads = await this.source.readFlags(unique, resolved);
    } catch (error) {
      return failEach(this.storageFailure('', error));
    }
    const evaluations = await Promise.all(
      unique.map(async (key) => {
        const read = reads.get(key);
        return read ? this.run(key, read, resolved, false) : notFound(key);
      }),
    );
    return Object.fromEntries(
      unique.map((key, i) => [key, detailsOf(this.counted(evaluations[i]))]),
    );
  }

  private counted(evaluated: Evaluated): Evaluated {
    return this.metrics === undefined ? evaluated : this.count(evaluated);
  }

  /** Counts an evaluation; the flag label only names flags that were read. */
  private readonly count = (evaluated: Evaluated): Evaluated => {
    const read = isFailure(evaluated) ? undefined : evaluated;
    this.metrics!.flagEvaluation(read?.flagKey ?? '', evaluated.reason, read?.variant ?? null);
    return evaluated;
  };

  /**
   * Source (for `read`, a flag already read in bulk: its overrides), then engine. `shared`: the
   * context is the caller's object, copied if kept past this call.
   */
  private run(
    key: string,
    read: FlagRead | null,
    context: EvaluationContext,
    shared: boolean,
  ): Evaluated | Promise<Evaluated> {
    let inputs: MaybePromise<FlagInputs>;
    try {
      inputs = read ? this.source.readOverrides(read, context) : this.source.read(key, context);
    } catch (error) {
      return this.storageFailure(key, error);
    }
    if (!isPromiseLike(inputs)) return this.evaluateInputs(key, inputs, context);
    // Evaluation ends later: by then the caller may have changed its own object.
    const own = shared ? copyContext(context) : context;
    return Promise.resolve(inputs).then(
      (complete) => this.evaluateInputs(key, complete, own),
      (error: unknown) => this.storageFailure(key, error),
    );
  }

  /** The caller's context resolved into an object of the pipeline's own (for bulk evaluations). */
  private ownContext(context: EvaluationContext | undefined): EvaluationContext | Failure {
    const resolved = resolveContext(context, this.defaults, '');
    return isFailure(resolved) || resolved !== context ? resolved : copyContext(resolved);
  }

  private storageFailure(flagKey: string, error: unknown): Failure {
    const action = flagKey ? `reading flag "${flagKey}"` : 'reading flags';
    const message = `feature flag storage failed while ${action}: ${describeError(error)}`;
    this.report(action, error);
    return failure(flagKey, EvaluationReason.ERROR, ErrorCode.GENERAL, message);
  }

  private report(action: string, error: unknown): void {
    this.logger?.warn(
      `feature flag storage failed while ${action}; serving defaults: ${describeError(error)}`,
    );
  }

  /** The engine's verdict on what the source read. */
  private evaluateInputs(key: string, inputs: FlagInputs, context: EvaluationContext): Evaluated {
    if (inputs.flag === null) return notFound(key);
    // The time, only when something depends on it.
    const now =
      inputs.schedules !== undefined || inputs.overrides !== undefined
        ? new Date(this.now())
        : undefined;
    const evaluation = evaluateFlag(
      inputs.flag,
      context,
      inputs.overrides,
      now,
      inputs.segments,
      inputs.schedules,
    );
    return withFreshness(evaluation, inputs.freshness);
  }
}
