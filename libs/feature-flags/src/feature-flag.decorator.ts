import {
  applyDecorators,
  createParamDecorator,
  Inject,
  UseGuards,
  type ExecutionContext,
} from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { FEATURE_FLAG_METADATA, FEATURE_FLAG_STORAGE } from './feature-flags.constants';
import { FeatureFlagRouteGuard } from './feature-flag.guard';
import { FeatureFlagParamPipe, type FeatureFlagParamRequest } from './feature-flag-param.pipe';

export interface FeatureFlagOptions {
  /** Assumed when the flag is missing or cannot be evaluated. Default `false`: fail closed. */
  defaultValue?: boolean;
  /** What to throw when the flag is off, instead of a 404: an error, or a factory for one. */
  exception?: Error | ((flagKey: string) => Error);
}

/** What `@FeatureFlag()` stores; an array so class- and handler-level requirements add up. */
export interface FeatureFlagRequirement extends FeatureFlagOptions {
  key: string;
}

/**
 * The route runs only when `key` is on for the request's context; otherwise 404 (or `exception`).
 * On a controller it gates every route. Requirements add up: a controller flag and a handler
 * flag, or several `@FeatureFlag()` on one target, must all be on.
 */
export const FeatureFlag = (key: string, options: FeatureFlagOptions = {}) =>
  applyDecorators(appendRequirement({ ...options, key }), useFlagGuardOnce());

// Not SetMetadata: a second @FeatureFlag() on the same target must add a requirement, not
// silently replace the first (which would open the route while that flag is off).
function appendRequirement(requirement: FeatureFlagRequirement): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value as object | undefined) ?? target;
    const existing = (Reflect.getMetadata(FEATURE_FLAG_METADATA, holder) ??
      []) as FeatureFlagRequirement[];
    Reflect.defineMetadata(FEATURE_FLAG_METADATA, [...existing, requirement], holder);
  };
}

/**
 * Binds the flag guard once per route (the module's `FeatureFlagGuard`, or its `guard` option's
 * subclass). One pass of the guard checks every requirement of the route, so a second
 * `@FeatureFlag()` on the same target, or handler flags under a flagged controller, must not bind
 * it again (Nest would run it again, evaluating every flag twice).
 */
function useFlagGuardOnce(): ClassDecorator & MethodDecorator {
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      if (!hasFlagGuard(descriptor.value as object))
        UseGuards(FeatureFlagRouteGuard)(target, key!, descriptor);
      return;
    }
    if (hasFlagGuard(target)) return;
    UseGuards(FeatureFlagRouteGuard)(target as new (...args: never[]) => unknown);
    // Class decorators run after method decorators: the controller's guard now covers the
    // handlers it declares (inherited ones keep theirs: their base class may stand alone).
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method: unknown = Object.getOwnPropertyDescriptor(prototype, name)?.value;
      if (method !== target && typeof method === 'function' && hasFlagGuard(method)) {
        const guards = Reflect.getMetadata(GUARDS_METADATA, method) as unknown[];
        const others = guards.filter((guard) => guard !== FeatureFlagRouteGuard);
        Reflect.defineMetadata(GUARDS_METADATA, others, method);
      }
    }
  };
}

function hasFlagGuard(target: object): boolean {
  const guards: unknown = Reflect.getMetadata(GUARDS_METADATA, target);
  return Array.isArray(guards) && guards.includes(FeatureFlagRouteGuard);
}

/** Injects the configured `FeatureFlagStorage` (admin code that creates or edits flags). */
export const InjectFeatureFlagStorage = (): PropertyDecorator & ParameterDecorator =>
  Inject(FEATURE_FLAG_STORAGE);

type FlagDefault = boolean | string | number | object;

// Hands the raw request to FeatureFlagParamPipe, which can use DI where a decorator cannot.
const FlagRequest = createParamDecorator(
  (_data: FeatureFlagParamRequest, context: ExecutionContext): unknown =>
    context.getType() === 'http' ? context.switchToHttp().getRequest() : context.getArgByIndex(0),
);

/**
 * Injects a flag's value for the request's context. The default's type picks the evaluation:
 * a boolean (`false` when omitted) → whether the flag is on, as `@FeatureFlag()` sees it;
 * a string, number or object → the flag's value of that type (else the default).
 */
export const FeatureFlagValue = (key: string, defaultValue: FlagDefault = false) =>
  FlagRequest({ key, defaultValue, details: false }, FeatureFlagParamPipe);

/** Like `@FeatureFlagValue()`, but injects the `EvaluationDetails` (reason, variant, error). */
export const FeatureFlagDetails = (key: string, defaultValue: FlagDefault = false) =>
  FlagRequest({ key, defaultValue, details: true }, FeatureFlagParamPipe);
