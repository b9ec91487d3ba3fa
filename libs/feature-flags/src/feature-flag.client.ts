import { Logger, type LoggerService } from '@nestjs/common';
import {
  describeError,
  isPromiseLike,
  metricsFor,
  type GatekeeperMetrics,
  type MaybePromise,
} from '@gatekeeper/common';
import { copyContext, resolveContext } from './evaluation/evaluation-context';
import {
  detailsOf,
  enabledDetails,
  failure,
  isFailure,
  notFound,
  typedDetails,
  withFreshness,
  type Failure,
  type ValueKind,
} from './evaluation/evaluation-result';
import { evaluateFlag, type FlagEvaluation } from './evaluation/evaluation.engine';
import {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from './models/evaluation.model';
import type { FeatureFlag } from './models/feature-flag.model';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import {
  flagSourceOf,
  type FlagInputs,
  type FlagRead,
  type FlagSource,
} from './storage/flag-source';

export interface FeatureFlagClientOptions {
  storage: FeatureFlagStorage;
  /** Merged under every context passed to the client (explicit fields win). */
  defaultContext?: EvaluationContext;
  /** Where storage failures are reported (redacted). Default: a Nest `Logger`; `false` silences. */
  logger?: LoggerService | false;
  /** Where time schedules and override expiry read the time (ms). Default: `Date.now`. */
  now?: () => number;
  /**
   * Count evaluations in `gatekeeper_flag_evaluations_total` on prom-client's default registry
   * (prom-client must be installed). Default `false`.
   */
  metrics?: boolean;
}

type Evaluated = FlagEvaluation | Failure;

const ENABLED = Promise.resolve(true);
const DISABLED = Promise.resolve(false);

/**
 * Evaluates flags from a storage. Every method resolves, never rejects: a missing flag, a value of
 * the wrong type or a storage failure yields the caller's default with a reason and error code,
 * because a flag lookup must never take a request down with it.
 *
 * One pipeline (docs/pipeline.md): context → the storage's flag source → engine → typed result.
 * The source decides whether an answer is synchronous: the memory storage and the `localCache`
 * (for fresh entries) answer in process, without I/O; any other storage through its methods.
 * While a cached storage is failing, cached flags are still served, with reason CACHED (within
 * the ttl) or STALE (past it).
 */
export class FeatureFlagClient {
  /** @internal The storage evaluated from (`GatekeeperProvider` checks its health and changes). */
  readonly storage: FeatureFlagStorage;
  private readonly source: FlagSource;
  /** The default context, `undefined` when there is nothing to merge. */
  private readonly defaults: EvaluationContext | undefined;
  private readonly logger: LoggerService | undefined;
  private readonly metrics: GatekeeperMetrics | undefined;
  private readonly now: () => number;

  constructor(options: FeatureFlagClientOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = metricsFor(options.metrics);
    this.storage = options.storage;
    this.source = flagSourceOf(options.storage);
    const defaults = options.defaultContext;
    this.defaults = defaults && Object.keys(defaults).length > 0 ? defaults : undefined;
    this.logger =
      options.logger === false ? undefined : (options.logger ?? new Logger(FeatureFlagClient.name));
  }

  /**
   * Whether the flag is on for this context: the value of a boolean flag, the "enabled" state of
   * any other type. `false` when the flag is missing or cannot be evaluated.
   */
  isEnabled(key: string, context?: EvaluationContext): Promise<boolean> {
    // Hot path (docs/performance.md): no async function, no closure and, when the source answers
    // synchronously, no new promise (a settled one cannot be changed by whoever awaits it).
    const enabled = this.evaluateEnabled(key, false, context);
    return enabled === true ? ENABLED : enabled === false ? DISABLED : Promise.resolve(enabled);
  }

  /** `isEnabled` with its details, and a chosen answer for a missing flag or a failure. */
  getEnabledDetails(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<boolean>> {
    const evaluation = this.evaluate(key, context);
    const details = (settled: Evaluated) => enabledDetails(settled, defaultValue);
    return isPromiseLike(evaluation)
      ? evaluation.then(details)
      : Promise.resolve(details(evaluation));
  }

  /**
   * @internal Not part of the public API (`FeatureFlagGuard` uses it): `getEnabledDetails(...)
   * .value`, answered synchronously when the storage's source answers synchronously.
   */
  evaluateEnabled(
    key: string,
    defaultValue: boolean,
    context: EvaluationContext | undefined,
  ): MaybePromise<boolean> {
    const evaluation = this.evaluate(key, context);
    if (isPromiseLike(evaluation)) {
      return evaluation.then((settled) => (isFailure(settled) ? defaultValue : settled.enabled));
    }
    return isFailure(evaluation) ? defaultValue : evaluation.enabled;
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

  /**
   * @internal Not part of the public API (`GatekeeperProvider` uses it): what the typed
   * `get*Details` methods answer, with the flag it was evaluated from (`null` when none was read),
   * to map reasons and metadata without reading the flag a second time.
   */
  resolveWithFlag<T>(
    key: string,
    defaultValue: T,
    kind: ValueKind,
    context: EvaluationContext | undefined,
  ): Promise<{ details: EvaluationDetails<T>; flag: FeatureFlag | null }> {
    const withFlag = (settled: Evaluated) => ({
      details: typedDetails(settled, defaultValue, kind),
      flag: isFailure(settled) ? null : settled.flag,
    });
    const evaluation = this.evaluate(key, context);
    return isPromiseLike(evaluation)
      ? evaluation.then(withFlag)
      : Promise.resolve(withFlag(evaluation));
  }

  private resolve<T>(
    key: string,
    defaultValue: T,
    kind: ValueKind,
    context: EvaluationContext | undefined,
  ): Promise<EvaluationDetails<T>> {
    const evaluation = this.evaluate(key, context);
    const typed = (settled: Evaluated) => typedDetails(settled, defaultValue, kind);
    return isPromiseLike(evaluation) ? evaluation.then(typed) : Promise.resolve(typed(evaluation));
  }

  /** The pipeline for one flag: context, source, engine. A failure is returned, never thrown. */
  private evaluate(
    key: string,
    context: EvaluationContext | undefined,
  ): Evaluated | Promise<Evaluated> {
    const resolved = resolveContext(context, this.defaults, key);
    const evaluated = isFailure(resolved)
      ? resolved
      : this.run(key, null, resolved, resolved === context);
    if (this.metrics === undefined) return evaluated;
    return isPromiseLike(evaluated) ? evaluated.then(this.count) : this.count(evaluated);
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

  /** The caller's context resolved into an object of the client's own (for bulk evaluations). */
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
