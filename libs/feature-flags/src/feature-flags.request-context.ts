import type { EvaluationContext } from './models/evaluation.model';
import type { ContextResolver, FeatureFlagsModuleOptions } from './feature-flags.options';

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
  if (!isObject(request)) return context;
  // Named reads, each once: this runs on every flagged request.
  const { user, headers } = request as RequestLike;
  const userId = isObject(user) ? toId(user.id) : undefined;
  if (userId !== undefined) {
    context.userId = userId;
    context.targetingKey = userId;
  }
  const headerBag = isObject(headers) ? headers : {};
  const ip = firstForwardedHop(text(headerBag['x-forwarded-for'])) ?? socketAddress(request);
  if (ip) context.ip = ip;
  const userAgent = text(headerBag['user-agent']);
  if (userAgent) context.userAgent = userAgent;
  const country = text(headerBag['cf-ipcountry']) ?? text(headerBag['x-country-code']);
  if (country) context.country = country.trim().toUpperCase();
  return context;
}

/** The parts of an Express or Fastify request the default resolver reads. */
interface RequestLike {
  user?: { id?: unknown } | null;
  headers?: Record<string, string | string[] | undefined> | null;
  socket?: { remoteAddress?: unknown } | null;
  ip?: unknown;
}

type ResolvedContext = EvaluationContext | Promise<EvaluationContext>;

// The guard and the parameter decorators of one request share a single resolution by a configured
// resolver, which may do I/O. The default resolver only reads the request: running it again costs
// less than remembering its answer.
const resolved = new WeakMap<object, ResolvedContext>();

/**
 * The request's evaluation context from the configured resolver (resolved once per request), or
 * from the default one: synchronously when the resolver is synchronous (the guard's fast path
 * needs no tick for it), else a promise. A resolver that throws yields a rejected promise.
 */
export function resolveRequestContext(
  request: unknown,
  options: Pick<FeatureFlagsModuleOptions, 'contextResolver'>,
): ResolvedContext {
  const resolver = options.contextResolver;
  if (resolver === undefined || !isObject(request)) {
    return resolveWith(resolver ?? defaultContextResolver, request);
  }
  let context = resolved.get(request);
  if (context === undefined) {
    context = resolveWith(resolver, request);
    resolved.set(request, context);
  }
  return context;
}

function resolveWith(resolver: ContextResolver, request: unknown): ResolvedContext {
  try {
    return resolver(request);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** A header's value; Node lower-cases incoming names, and a repeated header arrives as an array. */
function text(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.trim() !== '' ? first : undefined;
}

function firstForwardedHop(forwardedFor: string | undefined): string | undefined {
  const hop = forwardedFor?.split(',')[0]?.trim();
  return hop ? hop : undefined;
}

/** The peer address; `request.ip` (an Express getter doing real work) only without a socket one. */
function socketAddress(request: RequestLike): string | undefined {
  const { socket } = request;
  let address = isObject(socket) ? socket.remoteAddress : undefined;
  address ??= request.ip;
  return typeof address === 'string' && address !== '' ? address : undefined;
}

function toId(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}
