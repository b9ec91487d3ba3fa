import { Logger, type LoggerService } from '@nestjs/common';
import { isPromiseLike, metricsFor, type MaybePromise } from '@gatekeeper/common';
import {
  enabledDetails,
  isFailure,
  typedDetails,
  type ValueKind,
} from './evaluation/evaluation-result';
import { FlagPipeline, type Evaluated } from './evaluation/flag-pipeline';
import type { EvaluationContext, EvaluationDetails } from './models/evaluation.model';
import type { FeatureFlag } from './models/feature-flag.model';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import { flagSourceOf } from './storage/flag-source';

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
  /** Context, source, engine: everything but the typed answers (docs/pipeline.md). */
  private readonly pipeline: FlagPipeline;

  constructor(options: FeatureFlagClientOptions) {
    this.storage = options.storage;
    const defaults = options.defaultContext;
    this.pipeline = new FlagPipeline(
      flagSourceOf(options.storage),
      defaults && Object.keys(defaults).length > 0 ? defaults : undefined,
      options.logger === false ? undefined : (options.logger ?? new Logger(FeatureFlagClient.name)),
      metricsFor(options.metrics),
      options.now ?? Date.now,
    );
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
    const evaluation = this.pipeline.evaluate(key, context);
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
    const evaluation = this.pipeline.evaluate(key, context);
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
  getAllFlags(context?: EvaluationContext): Promise<Record<string, EvaluationDetails>> {
    return this.pipeline.evaluateAll(context);
  }

  /**
   * The given flags evaluated for this context, keyed by flag key; a missing flag is present with
   * FLAG_NOT_FOUND. The flags are read in one storage call (overrides cost one lookup per entity
   * id in the context).
   */
  getFlags(
    keys: readonly string[],
    context?: EvaluationContext,
  ): Promise<Record<string, EvaluationDetails>> {
    return this.pipeline.evaluateMany(keys, context);
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
    const evaluation = this.pipeline.evaluate(key, context);
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
    const evaluation = this.pipeline.evaluate(key, context);
    const typed = (settled: Evaluated) => typedDetails(settled, defaultValue, kind);
    return isPromiseLike(evaluation) ? evaluation.then(typed) : Promise.resolve(typed(evaluation));
  }
}
