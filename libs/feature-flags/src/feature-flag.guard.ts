import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CanActivate,
  type ExecutionContext,
  type FactoryProvider,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import {
  describeError,
  GatekeeperConfigError,
  isPromiseLike,
  RouteMetadataCache,
  tracingFor,
  type GatekeeperTracing,
  type MaybePromise,
} from '@gatekeeper/common';
import { FeatureFlagClient } from './feature-flag.client';
import type { FeatureFlagRequirement } from './feature-flag.decorator';
import { FeatureFlagDisabledException } from './feature-flag.exceptions';
import { FEATURE_FLAG_METADATA } from './feature-flags.constants';
import { FEATURE_FLAGS_MODULE_OPTIONS } from './feature-flags.module-definition';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import { resolveRequestContext } from './feature-flags.request-context';
import type { EvaluationContext } from './models/evaluation.model';
import { recordFlagEvaluation } from './openfeature/evaluation-event.tracing';

/** `feature_flag.provider.name` of the guard's evaluations: GatekeeperProvider's metadata name. */
const PROVIDER_NAME = 'gatekeeper';

/**
 * Lets a request through only when every `@FeatureFlag()` on its handler and controller is on
 * for the request's context. `@FeatureFlag()` runs it once per route: registering it globally as
 * well would run it twice on flagged routes.
 *
 * To change where the context or the error comes from, subclass it, override the protected hooks
 * (each may answer with a value or a promise) and name the subclass in the module's `guard`
 * option: `@FeatureFlag()` then runs it on every flagged route.
 */
@Injectable()
export class FeatureFlagGuard implements CanActivate {
  protected readonly logger = new Logger(FeatureFlagGuard.name);
  private readonly routeRequirements = new RouteMetadataCache((context) =>
    this.getRequirements(context),
  );
  private readonly tracing: GatekeeperTracing | undefined;
  /** Whether `getRequest` is overridden, so may answer with a promise: known at the first request. */
  private requestMayBePromise: boolean | undefined;

  constructor(
    protected readonly client: FeatureFlagClient,
    protected readonly reflector: Reflector,
    @Optional()
    @Inject(FEATURE_FLAGS_MODULE_OPTIONS)
    protected readonly options: FeatureFlagsModuleOptions = {},
  ) {
    this.tracing = tracingFor(options.tracing, 'feature_flags');
  }

  /**
   * `true` at once when the route has no flag, or when every hook and flag answers synchronously
   * (a guard that returns a boolean costs Nest no await); otherwise a promise. A refusal is a
   * rejected promise.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const requirements = this.routeRequirements.get(context);
    if (requirements.length === 0) return true;
    try {
      const request = this.getRequest(context);
      // Only an overriding hook can answer with a promise. Asking a request object for `then`
      // costs a full lookup each time: Express gives every request a hidden class of its own.
      this.requestMayBePromise ??= this.getRequest !== FeatureFlagGuard.prototype.getRequest;
      const evaluationContext =
        this.requestMayBePromise && isPromiseLike(request)
          ? Promise.resolve(request).then((resolved) =>
              this.getEvaluationContext(resolved, context),
            )
          : this.getEvaluationContext(request, context);
      if (isPromiseLike(evaluationContext)) {
        return Promise.resolve(evaluationContext).then((resolved) =>
          this.checkFrom(0, requirements, resolved, context),
        );
      }
      return this.checkFrom(0, requirements, evaluationContext, context);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Checks the requirements from `index` on, synchronously while the answers are synchronous. */
  private checkFrom(
    index: number,
    requirements: readonly FeatureFlagRequirement[],
    evaluationContext: EvaluationContext | null,
    context: ExecutionContext,
  ): true | Promise<true> {
    for (let i = index; i < requirements.length; i++) {
      const requirement = requirements[i];
      const on =
        evaluationContext === null
          ? (requirement.defaultValue ?? false)
          : this.isFlagOn(requirement, evaluationContext);
      if (isPromiseLike(on)) {
        return Promise.resolve(on).then((value) =>
          value
            ? this.checkFrom(i + 1, requirements, evaluationContext, context)
            : this.refuse(requirement, context),
        );
      }
      if (!on) return this.refuse(requirement, context);
    }
    return true;
  }

  /** Rejects with the exception `createException` gives (or promises). */
  private refuse(requirement: FeatureFlagRequirement, context: ExecutionContext): Promise<never> {
    return Promise.resolve(this.createException(requirement, context)).then((exception) => {
      throw exception;
    });
  }

  /** Class-level requirements first, then the handler's; all must hold. Read once per route. */
  protected getRequirements(context: ExecutionContext): FeatureFlagRequirement[] {
    return (
      this.reflector.getAllAndMerge<FeatureFlagRequirement[]>(FEATURE_FLAG_METADATA, [
        context.getClass(),
        context.getHandler(),
      ]) ?? []
    );
  }

  /**
   * The request (or a promise of it) handed to `getEvaluationContext`. Default: the first handler
   * argument, which is the HTTP request (`switchToHttp().getRequest()`, without the host object
   * that allocates), the RPC data or the WebSocket client.
   */
  protected getRequest(context: ExecutionContext): unknown {
    return context.getArgByIndex(0);
  }

  /**
   * The configured `contextResolver` (or the default one), or `null` when it throws: then each
   * flag's `defaultValue` decides, as for any evaluation failure. Evaluating with an empty context
   * instead could match a catch-all rule that a real context would have been excluded from.
   */
  protected getEvaluationContext(
    request: unknown,
    _context: ExecutionContext,
  ): MaybePromise<EvaluationContext | null> {
    const resolved = resolveRequestContext(request, this.options);
    if (!isPromiseLike(resolved)) return resolved;
    return Promise.resolve(resolved).catch((error: unknown) => {
      this.logger.warn(`contextResolver failed, serving flag defaults: ${describeError(error)}`);
      return null;
    });
  }

  /**
   * Whether the flag is on (its `defaultValue` when it is missing or cannot be evaluated). With
   * `tracing: true` and a recording span, the evaluation is also a `feature_flag.evaluation` event
   * on that span (then always answered as a promise).
   */
  protected isFlagOn(
    requirement: FeatureFlagRequirement,
    context: EvaluationContext,
  ): MaybePromise<boolean> {
    const { key } = requirement;
    const defaultValue = requirement.defaultValue ?? false;
    const span = this.tracing?.recordingSpan();
    if (span === undefined) return this.client.evaluateEnabled(key, defaultValue, context);
    return this.client.getEnabledDetails(key, defaultValue, context).then((details) => {
      recordFlagEvaluation(span, key, PROVIDER_NAME, details);
      return details.value;
    });
  }

  /** What to reject with when a flag is off: the requirement's `exception`, else a 404. */
  protected createException(
    requirement: FeatureFlagRequirement,
    _context: ExecutionContext,
  ): MaybePromise<Error> {
    const { exception, key } = requirement;
    if (typeof exception === 'function') return exception(key);
    return exception ?? new FeatureFlagDisabledException(key);
  }
}

/**
 * Internal: the guard `@FeatureFlag()` binds. Nest builds a bound guard class itself in each
 * controller's module, so binding `FeatureFlagGuard` would never run a subclass; this one hands
 * every request to the module's `FeatureFlagGuard` provider instead (see `featureFlagGuardProvider`).
 */
@Injectable()
export class FeatureFlagRouteGuard implements CanActivate {
  constructor(@Inject(FeatureFlagGuard) private readonly guard: FeatureFlagGuard) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.guard.canActivate(context);
  }
}

/**
 * Internal, for `FeatureFlagsModule`: provides `FeatureFlagGuard` as an instance of the `guard`
 * option's class (default `FeatureFlagGuard` itself), its dependencies injected.
 * @throws GatekeeperConfigError at startup when `guard` is not a FeatureFlagGuard class.
 */
export function featureFlagGuardProvider(): FactoryProvider<Promise<FeatureFlagGuard>> {
  return {
    provide: FeatureFlagGuard,
    useFactory: (options: FeatureFlagsModuleOptions, moduleRef: ModuleRef) => {
      const guard = options.guard ?? FeatureFlagGuard;
      if (guard !== FeatureFlagGuard && !(guard.prototype instanceof FeatureFlagGuard)) {
        throw new GatekeeperConfigError(
          'guard must be FeatureFlagGuard or a class that extends it',
        );
      }
      return moduleRef.create(guard);
    },
    inject: [FEATURE_FLAGS_MODULE_OPTIONS, ModuleRef],
  };
}
