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

// A route flagged on both its controller and its handler gets this guard twice; one pass per
// request evaluates every requirement, the second has nothing left to do.
const passed = new WeakSet<object>();

/**
 * Lets a request through only when every `@FeatureFlag()` on its handler and controller is on
 * for the request's context. Applied by `@FeatureFlag()` itself; can also be registered globally.
 * Subclass and override the protected hooks to change where the context or the error comes from.
 */
@Injectable()
export class FeatureFlagGuard implements CanActivate {
  protected readonly logger = new Logger(FeatureFlagGuard.name);
  private readonly routeRequirements = new RouteMetadataCache<FeatureFlagRequirement[]>();

  constructor(
    protected readonly client: FeatureFlagClient,
    protected readonly reflector: Reflector,
    @Optional()
    @Inject(FEATURE_FLAGS_MODULE_OPTIONS)
    protected readonly options: FeatureFlagsModuleOptions = {},
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirements = this.routeRequirements.get(context, () => this.getRequirements(context));
    if (requirements.length === 0) return true;
    const request = this.getRequest(context);
    if (isObject(request) && passed.has(request)) return true;

    const evaluationContext = await this.getEvaluationContext(request, context);
    for (const requirement of requirements) {
      const on =
        evaluationContext === null
          ? (requirement.defaultValue ?? false)
          : await this.isFlagOn(requirement, evaluationContext);
      if (!on) {
        throw this.createException(requirement, context);
      }
    }
    if (isObject(request)) passed.add(request);
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
   */
  protected async getEvaluationContext(
    request: unknown,
    _context: ExecutionContext,
  ): Promise<EvaluationContext | null> {
    try {
      return await resolveRequestContext(request, this.options);
    } catch (error) {
      this.logger.warn(`contextResolver failed, serving flag defaults: ${describeError(error)}`);
      return null;
    }
  }

  protected async isFlagOn(
    requirement: FeatureFlagRequirement,
    context: EvaluationContext,
  ): Promise<boolean> {
    const details = await this.client.getEnabledDetails(
      requirement.key,
      requirement.defaultValue ?? false,
      context,
    );
    return details.value;
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

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
