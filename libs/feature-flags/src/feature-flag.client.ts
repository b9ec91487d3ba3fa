import { Logger, type LoggerService } from '@nestjs/common';
import { describeError } from '@gatekeeper/common';
import {
  evaluateFlag,
  OVERRIDE_SOURCES,
  overrideLookups,
  type FlagEvaluation,
} from './evaluation/evaluation.engine';
import type { FeatureFlag, FlagOverride, JsonValue } from './models/feature-flag.model';
import {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from './models/evaluation.model';
import {
  isFeatureFlagCacheReader,
  type CacheFreshness,
  type FeatureFlagCacheReader,
} from './storage/local-cache.storage';
import {
  hasSynchronousLookup,
  type FeatureFlagStorage,
  type SynchronousFlagLookup,
} from './storage/feature-flag-storage.interface';

export interface FeatureFlagClientOptions {
  storage: FeatureFlagStorage;
  /** Merged under every context passed to the client (explicit fields win). */
  defaultContext?: EvaluationContext;
  /** Where storage failures are reported (redacted). Default: a Nest `Logger`; `false` silences. */
  logger?: LoggerService | false;
}

type ValueKind = 'boolean' | 'string' | 'number' | 'object';

/** The context fields that must be strings when set. */
type ContextStringField =
  | 'targetingKey'
  | 'userId'
  | 'organizationId'
  | 'tenantId'
  | 'environment'
  | 'appVersion'
  | 'ip'
  | 'userAgent'
  | 'country';

/** A flag read, and how fresh the storage's cache says it is. */
interface FlagRead {
  flag: FeatureFlag;
  freshness: CacheFreshness;
}

/**
 * Evaluates flags from a storage. Every method resolves, never rejects: a missing flag, a value of
 * the wrong type or a storage failure yields the caller's default with a reason and error code,
 * because a flag lookup must never take a request down with it.
 *
 * With a caching storage (the `localCache` module option) a flag whose entries are cached and
 * fresh is evaluated synchronously, without I/O, and so is every flag of the memory storage; while
 * the storage is failing, cached flags are still served, with reason CACHED (within the ttl) or
 * STALE (past it).
 */
export class FeatureFlagClient {
  private readonly storage: FeatureFlagStorage;
  /** The storage's in-process cache, when it has one. */
  private readonly cache: FeatureFlagCacheReader | undefined;
  /** Synchronous lookups (the cache, or the memory storage itself), for the no-promise path. */
  private readonly lookup: SynchronousFlagLookup | undefined;
  private readonly defaultContext: EvaluationContext;
  /** Whether there is a default context to merge; without one a caller's context can be used as is. */
  private readonly mergesDefaults: boolean;
  private readonly logger: LoggerService | undefined;

  constructor(options: FeatureFlagClientOptions) {
    this.storage = options.storage;
    this.cache = isFeatureFlagCacheReader(options.storage) ? options.storage : undefined;
    this.lookup = hasSynchronousLookup(options.storage) ? options.storage : undefined;
    this.defaultContext = options.defaultContext ?? {};
    this.mergesDefaults = Object.keys(this.defaultContext).length > 0;
    this.logger =
      options.logger === false ? undefined : (options.logger ?? new Logger(FeatureFlagClient.name));
  }

  /**
   * Whether the flag is on for this context: the value of a boolean flag, the "enabled" state of
   * any other type. `false` when the flag is missing or cannot be evaluated.
   */
  isEnabled(key: string, context?: EvaluationContext): Promise<boolean> {
    // Hot path (profiled, docs/performance.md): no async function, no await when the flag is cached.
    const cached = this.lookup === undefined ? undefined : this.evaluateCached(key, context);
    if (cached !== undefined) return Promise.resolve(isFailure(cached) ? false : cached.enabled);
    return this.evaluate(key, context).then(enabledOf);
  }

  /** `isEnabled` with its details, and a chosen answer for a missing flag or a failure. */
  getEnabledDetails(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): Promise<EvaluationDetails<boolean>> {
    const cached = this.getCachedEnabledDetails(key, defaultValue, context);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.evaluate(key, context).then((evaluation) =>
      withValue(evaluation, isFailure(evaluation) ? defaultValue : evaluation.enabled),
    );
  }

  /**
   * `getEnabledDetails` answered in process, without I/O (from the `localCache`, or by the memory
   * storage), or `undefined` when the storage must be asked (the flag or an override lookup it
   * needs is not cached and fresh). For synchronous hot paths; `FeatureFlagGuard` tries it first.
   */
  getCachedEnabledDetails(
    key: string,
    defaultValue: boolean,
    context?: EvaluationContext,
  ): EvaluationDetails<boolean> | undefined {
    const cached = this.lookup === undefined ? undefined : this.evaluateCached(key, context);
    if (cached === undefined) return undefined;
    return withValue(cached, isFailure(cached) ? defaultValue : cached.enabled);
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
    return this.evaluateMany(
      flags.map((flag) => ({ flag, freshness: 'fresh' as const })),
      resolved,
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
    const resolved = this.mergeContext(context);
    const failEach = (failed: Failure) =>
      Object.fromEntries(unique.map((key) => [key, detailsOf({ ...failed, flagKey: key }, null)]));
    if (isFailure(resolved)) return failEach(resolved);
    let found: FlagRead[];
    try {
      found = await this.readFlags(unique);
    } catch (error) {
      return failEach(this.storageFailure('', 'reading flags', error));
    }
    const results = await this.evaluateMany(found, resolved);
    for (const key of unique) {
      results[key] ??= detailsOf(notFound(key), null);
    }
    return results;
  }

  private resolve<T>(
    key: string,
    defaultValue: T,
    kind: ValueKind,
    context: EvaluationContext | undefined,
  ): Promise<EvaluationDetails<T>> {
    const cached = this.lookup === undefined ? undefined : this.evaluateCached(key, context);
    if (cached !== undefined) return Promise.resolve(typedDetails(cached, defaultValue, kind));
    return this.evaluate(key, context).then((evaluation) =>
      typedDetails(evaluation, defaultValue, kind),
    );
  }

  /**
   * The evaluation when the flag and every override lookup it needs are answered in process (the
   * cache, fresh; or the memory storage), else `undefined` (the caller takes the async path).
   * Synchronous; allocates the result and little else: a context that needs no merging is used
   * as it is, override lookups are peeks.
   */
  private evaluateCached(
    key: string,
    context: EvaluationContext | undefined,
  ): FlagEvaluation | Failure | undefined {
    const lookup = this.lookup!;
    try {
      const flag = lookup.peekFlag(key);
      if (flag === undefined) return undefined;
      // Evaluation finishes before this returns, so the caller's object cannot change under it.
      const resolved = this.mergeContext(context, key, true);
      if (isFailure(resolved)) return resolved;
      if (flag === null) return notFound(key);
      let overrides: FlagOverride[] | undefined;
      if (flag.status === 'active') {
        // OVERRIDE_SOURCES unrolled, in its order: named reads stay monomorphic, no array
        // is allocated unless an override exists.
        const user = peekOverride(lookup, flag.id, 'user', resolved.userId);
        if (user === undefined) return undefined;
        const organization = peekOverride(lookup, flag.id, 'organization', resolved.organizationId);
        if (organization === undefined) return undefined;
        const tenant = peekOverride(lookup, flag.id, 'tenant', resolved.tenantId);
        if (tenant === undefined) return undefined;
        const targeting = peekOverride(lookup, flag.id, 'targeting_key', resolved.targetingKey);
        if (targeting === undefined) return undefined;
        if (user || organization || tenant || targeting) {
          overrides = [user, organization, tenant, targeting].filter(
            (override): override is FlagOverride => override !== null,
          );
        }
      }
      const evaluation = evaluateFlag(flag, resolved, overrides);
      return lookup.degraded ? withFreshness(evaluation, 'cached') : evaluation;
    } catch {
      // Whatever went wrong, the async path knows how to report it.
      return undefined;
    }
  }

  /** Fetches what one flag needs and runs the synchronous engine; a failure is returned, not thrown. */
  private async evaluate(
    key: string,
    context: EvaluationContext | undefined,
  ): Promise<FlagEvaluation | Failure> {
    const resolved = this.mergeContext(context, key);
    if (isFailure(resolved)) return resolved;
    let read: { flag: FeatureFlag | null; freshness: CacheFreshness };
    try {
      if (this.cache) {
        const cached = await this.cache.readFlag(key);
        read = { flag: cached.value, freshness: cached.freshness };
      } else {
        read = { flag: await this.storage.getFlag(key), freshness: 'fresh' };
      }
    } catch (error) {
      return this.storageFailure(key, `reading flag "${key}"`, error);
    }
    if (!read.flag) return notFound(key);
    return this.evaluateOne({ flag: read.flag, freshness: read.freshness }, resolved);
  }

  private async readFlags(keys: string[]): Promise<FlagRead[]> {
    if (!this.cache) {
      const flags = await this.storage.getFlags(keys);
      return [...flags.values()].map((flag) => ({ flag, freshness: 'fresh' }));
    }
    const found: FlagRead[] = [];
    for (const read of (await this.cache.readFlags(keys)).values()) {
      if (read.value) found.push({ flag: read.value, freshness: read.freshness });
    }
    return found;
  }

  private async evaluateMany(
    reads: readonly FlagRead[],
    context: EvaluationContext,
  ): Promise<Record<string, EvaluationDetails>> {
    const evaluations = await Promise.all(reads.map((read) => this.evaluateOne(read, context)));
    return Object.fromEntries(
      evaluations.map((evaluation) => [evaluation.flagKey, detailsOf(evaluation, null)]),
    );
  }

  private async evaluateOne(
    { flag, freshness }: FlagRead,
    context: EvaluationContext,
  ): Promise<FlagEvaluation | Failure> {
    let overrides: Array<FlagOverride | null> = [];
    let worst = freshness;
    // An inactive flag ignores overrides, so don't pay for the lookups.
    const lookups = flag.status === 'active' ? overrideLookups(context) : [];
    if (lookups.length > 0) {
      try {
        // In parallel: the lookups are independent and evaluation takes the first in order.
        if (this.cache) {
          const cache = this.cache;
          const reads = await Promise.all(
            lookups.map(({ entityType, entityId }) =>
              cache.readOverride(flag.id, entityType, entityId),
            ),
          );
          overrides = reads.map((read) => read.value);
          for (const read of reads) worst = worse(worst, read.freshness);
        } else {
          overrides = await Promise.all(
            lookups.map(({ entityType, entityId }) =>
              this.storage.getOverride(flag.id, entityType, entityId),
            ),
          );
        }
      } catch (error) {
        return this.storageFailure(flag.key, `reading overrides of flag "${flag.key}"`, error);
      }
    }
    return withFreshness(evaluateFlag(flag, context, overrides), worst);
  }

  /**
   * The client's default context under the caller's, or INVALID_CONTEXT for a malformed one.
   * `shareable`: the caller's object may be returned as it is when merging would not change
   * what evaluation sees (only for synchronous evaluation).
   */
  private mergeContext(
    context: EvaluationContext | undefined,
    flagKey = '',
    shareable = false,
  ): EvaluationContext | Failure {
    if (context !== undefined && context !== null) {
      const problem = contextProblem(context);
      if (problem) {
        return failure(flagKey, EvaluationReason.ERROR, ErrorCode.INVALID_CONTEXT, problem);
      }
      // The engine treats null fields as absent, so only the targeting-key fallback matters.
      if (shareable && !this.mergesDefaults) {
        const { targetingKey, userId } = context;
        if (typeof targetingKey === 'string' || (targetingKey === undefined && userId == null)) {
          return context;
        }
        if (targetingKey == null && typeof userId === 'string') {
          // Object.assign, not spread: an order of magnitude cheaper on V8 for small objects.
          const withKey = Object.assign({}, context);
          withKey.targetingKey = userId;
          return withKey;
        }
      }
    }
    const base = this.defaultContext;
    const own = context ?? {};
    // Null-prototype copies: a "__proto__" key in user data stays an ordinary key, as with spread.
    const merged = Object.assign(Object.create(null) as EvaluationContext, base);
    copyDefined(merged, own);
    merged.attributes = Object.assign(
      Object.create(null) as Record<string, unknown>,
      base.attributes,
      own.attributes,
    );
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

/** A cached override lookup: `null` for none (or no id to look up), `undefined` when not cached. */
function peekOverride(
  lookup: SynchronousFlagLookup,
  flagId: string,
  entityType: (typeof OVERRIDE_SOURCES)[number]['entityType'],
  entityId: string | undefined,
): FlagOverride | null | undefined {
  if (typeof entityId !== 'string' || entityId === '') return null;
  return lookup.peekOverride(flagId, entityType, entityId);
}

function enabledOf(evaluation: FlagEvaluation | Failure): boolean {
  return isFailure(evaluation) ? false : evaluation.enabled;
}

const FRESHNESS_RANK: Record<CacheFreshness, number> = { fresh: 0, cached: 1, stale: 2 };

function worse(a: CacheFreshness, b: CacheFreshness): CacheFreshness {
  return FRESHNESS_RANK[b] > FRESHNESS_RANK[a] ? b : a;
}

/** Evaluations served from a cache the storage could not refresh say so in their reason. */
function withFreshness(evaluation: FlagEvaluation, freshness: CacheFreshness): FlagEvaluation {
  if (freshness !== 'fresh' && evaluation.reason !== EvaluationReason.ERROR) {
    evaluation.reason = freshness === 'stale' ? EvaluationReason.STALE : EvaluationReason.CACHED;
  }
  return evaluation;
}

/** The typed getters' rules: an unset value gives the caller's default, a wrong type an error. */
function typedDetails<T>(
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
  // One named read per field (not a loop over names): this runs on every evaluation, and keyed
  // reads with varying names go megamorphic.
  const fields = context as Record<ContextStringField | 'attributes', unknown>;
  const bad =
    (notString(fields.targetingKey) && 'targetingKey') ||
    (notString(fields.userId) && 'userId') ||
    (notString(fields.organizationId) && 'organizationId') ||
    (notString(fields.tenantId) && 'tenantId') ||
    (notString(fields.environment) && 'environment') ||
    (notString(fields.appVersion) && 'appVersion') ||
    (notString(fields.ip) && 'ip') ||
    (notString(fields.userAgent) && 'userAgent') ||
    (notString(fields.country) && 'country');
  if (bad) return `context.${bad} must be a string (got ${typeof fields[bad]})`;
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

/** Set, and not a string. */
function notString(value: unknown): boolean {
  return value !== undefined && value !== null && typeof value !== 'string';
}

/** Copies the fields of `source` that are set (neither undefined nor null) onto `target`. */
function copyDefined(target: EvaluationContext, source: EvaluationContext): void {
  const from = source as Record<string, unknown>;
  const to = target as Record<string, unknown>;
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (value !== undefined && value !== null) to[key] = value;
  }
}
