import type { EvaluationContext } from './models/evaluation.model';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';

/**
 * The context used when no `contextResolver` is configured (works with Express and Fastify):
 * - `userId` and `targetingKey` from `request.user.id` (what Passport-style guards set);
 * - `ip` from the first X-Forwarded-For hop, else the socket address. The header is only as
 *   trustworthy as the proxy in front of the service: target on it, don't authorise with it;
 * - `userAgent` from User-Agent;
 * - `country` from CF-IPCountry (Cloudflare) or X-Country-Code.
 */
export function defaultContextResolver(request: unknown): EvaluationContext {
  const context: EvaluationContext = {};
  const userId = toId(prop(prop(request, 'user'), 'id'));
  if (userId !== undefined) {
    context.userId = userId;
    context.targetingKey = userId;
  }
  const ip = firstForwardedHop(header(request, 'x-forwarded-for')) ?? socketAddress(request);
  if (ip) context.ip = ip;
  const userAgent = header(request, 'user-agent');
  if (userAgent) context.userAgent = userAgent;
  const country = header(request, 'cf-ipcountry') ?? header(request, 'x-country-code');
  if (country) context.country = country.trim().toUpperCase();
  return context;
}

// The guard and the parameter decorators of one request share a single resolution.
const resolved = new WeakMap<object, Promise<EvaluationContext>>();

/** The request's evaluation context from the configured resolver, resolved once per request. */
export function resolveRequestContext(
  request: unknown,
  options: Pick<FeatureFlagsModuleOptions, 'contextResolver'>,
): Promise<EvaluationContext> {
  const resolver = options.contextResolver ?? defaultContextResolver;
  // A resolver that throws synchronously rejects instead; a synchronous one costs no extra tick.
  const resolve = (): Promise<EvaluationContext> => {
    try {
      return Promise.resolve(resolver(request));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  if (typeof request !== 'object' || request === null) return resolve();
  let context = resolved.get(request);
  if (!context) {
    context = resolve();
    resolved.set(request, context);
  }
  return context;
}

function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Node lower-cases incoming header names; a repeated header arrives as an array. */
function header(request: unknown, name: string): string | undefined {
  const value = prop(prop(request, 'headers'), name);
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.trim() !== '' ? first : undefined;
}

function firstForwardedHop(forwardedFor: string | undefined): string | undefined {
  const hop = forwardedFor?.split(',')[0]?.trim();
  return hop ? hop : undefined;
}

function socketAddress(request: unknown): string | undefined {
  const address = prop(prop(request, 'socket'), 'remoteAddress') ?? prop(request, 'ip');
  return typeof address === 'string' && address !== '' ? address : undefined;
}

function toId(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}
