import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describeError, RouteMetadataCache } from '@gatekeeper/common';
import { FeatureFlagClient } from './feature-flag.client';
import type { FeatureFlagRequirement } from './feature-flag.decorator';
import { FeatureFlagDisabledException } from './feature-flag.exceptions';
import { FEATURE_FLAG_METADATA } from './feature-flags.constants';
import { FEATURE_FLAGS_MODULE_OPTIONS } from './feature-flags.module-definition';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import { resolveRequestContext } from './feature-flags.request-context';
import type { EvaluationContext } from './models/evaluation.model';

/**
 * Lets a request through only when every `@FeatureFlag()` on its handler and controller is on
 * for the request's context. Bound by `@FeatureFlag()` itself, once per route: registering it
 * globally as well would run it twice on flagged routes.
 * Subclass and override the protected hooks to change where the context or the error comes from.
 */
@Injectable()
export class FeatureFlagGuard implements CanActivate {
  protected readonly logger = new Logger(FeatureFlagGuard.name);
  private readonly routeRequirements = new RouteMetadataCache((context) =>
    this.getRequirements(context),
  );

  constructor(
    protected readonly client: FeatureFlagClient,
    protected readonly reflector: Reflector,
    @Optional()
    @Inject(FEATURE_FLAGS_MODULE_OPTIONS)
    protected readonly options: FeatureFlagsModuleOptions = {},
  ) {}

  /**
   * `true` at once when the route has no flag or every flag is answered by the in-process cache
   * with a synchronous context resolver (a guard that returns a boolean costs Nest no await);
   * otherwise a promise. A refusal is always a rejected promise.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const requirements = this.routeRequirements.get(context);
    if (requirements.length === 0) return true;
    const request = this.getRequest(context);
    try {
      const evaluationContext = this.getEvaluationContext(request, context);
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

  /**
   * Checks the requirements from `index` on, synchronously while the answers are synchronous.
   * Throws (or rejects with) the exception of the first flag that is off.
   */
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
        return Promise.resolve(on).then((value) => {
          if (!value) throw this.createException(requirement, context);
          return this.checkFrom(i + 1, requirements, evaluationContext, context);
        });
      }
      if (!on) throw this.createException(requirement, context);
    }
    return true;
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

  protected getRequest(context: ExecutionContext): unknown {
    return context.getType() === 'http'
      ? context.switchToHttp().getRequest()
      : context.getArgByIndex(0);
  }

  /**
   * The configured `contextResolver` (or the default one), or `null` when it throws: then each
   * flag's `defaultValue` decides, as for any evaluation failure. Evaluating with an empty context
   * instead could match a catch-all rule that a real context would have been excluded from.
   * May answer synchronously or with a promise.
   */
  protected getEvaluationContext(
    request: unknown,
    _context: ExecutionContext,
  ): EvaluationContext | null | Promise<EvaluationContext | null> {
    const resolved = resolveRequestContext(request, this.options);
    if (!isPromiseLike(resolved)) return resolved;
    return Promise.resolve(resolved).catch((error: unknown) => {
      this.logger.warn(`contextResolver failed, serving flag defaults: ${describeError(error)}`);
      return null;
    });
  }

  /** Whether the flag is on; synchronous when the in-process cache can tell. */
  protected isFlagOn(
    requirement: FeatureFlagRequirement,
    context: EvaluationContext,
  ): boolean | Promise<boolean> {
    const defaultValue = requirement.defaultValue ?? false;
    const cached = this.client.getCachedEnabledDetails(requirement.key, defaultValue, context);
    if (cached !== undefined) return cached.value;
    return this.client
      .getEnabledDetails(requirement.key, defaultValue, context)
      .then((details) => details.value);
  }

  protected createException(
    requirement: FeatureFlagRequirement,
    _context: ExecutionContext,
  ): Error {
    const { exception, key } = requirement;
    if (typeof exception === 'function') return exception(key);
    return exception ?? new FeatureFlagDisabledException(key);
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}
