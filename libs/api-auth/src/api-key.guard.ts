import {
  describeError,
  isPromiseLike,
  metricsFor,
  RouteMetadataCache,
  setSpanError,
  tracingFor,
  type GatekeeperMetrics,
  type GatekeeperTracing,
  type MaybePromise,
  type TraceSpan,
} from '@gatekeeper/common';
import {
  CanActivate,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { API_KEY_REQUEST_PROPERTY } from './api-auth.constants';
import {
  PUBLIC_METADATA,
  REQUIRE_ANY_SCOPE_METADATA,
  REQUIRE_SCOPES_METADATA,
} from './api-auth.decorators';
import {
  ApiAuthUnavailableException,
  ApiKeyUnauthorizedException,
  InsufficientScopeException,
} from './api-auth.exceptions';
import { API_AUTH_MODULE_OPTIONS } from './api-auth.module-definition';
import { resolveApiAuthOptions, type ApiAuthModuleOptions } from './api-auth.options';
import { ApiKeyVerificationError } from './api-key.errors';
import { grantsAllScopes, grantsAnyScope } from './api-key.scopes';
import { ApiKeyService, verifyApiKeyNow } from './api-key.service';
import type { ApiKey } from './models/api-key.model';

type HeaderValue = string | string[] | undefined;

/** What the guard needs from a request: Express and Fastify both fit. */
export interface ApiKeyRequest {
  headers?: Record<string, HeaderValue>;
  [property: string]: unknown;
}

/** What a route asks of the caller, read from its decorators once. */
export interface ApiKeyRouteRequirements {
  isPublic: boolean;
  /** `@RequireScopes` on controller and handler, merged: every one must be granted. */
  all: string[];
  /** Each `@RequireAnyScope`: at least one scope of each list must be granted. */
  any: string[][];
}

const REALM = 'api';
const OUTAGE_LOG_INTERVAL_MS = 10_000;
const RESULT_CODE = /^[a-z_]{1,40}$/;
const VERIFY_SPAN = 'gatekeeper.api_key.verify';
const RESULT_ATTRIBUTE = 'gatekeeper.api_key.result';
const NO_ATTRIBUTES = {};

/** The `result` of whatever refused a request: an answer's code, else `error`. */
function resultOf(error: unknown): string {
  return error instanceof HttpException ? resultCode(error) : 'error';
}

/** The `result` label of an answer: its body's `code` (ours are a fixed set), else its status. */
function resultCode(exception: HttpException): string {
  const body = exception.getResponse() as { code?: unknown } | string;
  const code = typeof body === 'object' ? body.code : undefined;
  return typeof code === 'string' && RESULT_CODE.test(code) ? code : String(exception.getStatus());
}

/**
 * Authenticates a request by API key and enforces `@RequireScopes` / `@RequireAnyScope`.
 * Use per route (`@UseGuards(ApiKeyGuard)`) or globally (`{ provide: APP_GUARD, useClass: ApiKeyGuard }`);
 * `@Public()` exempts a route. Fails closed: a storage failure is a 503, never a pass and never a 500.
 *
 * To change where the request comes from (`getRequest`), how the key is found (`extractKey`, may
 * answer with a promise) or what is thrown (`toHttpException`), subclass it and bind the subclass
 * the same two ways: `@UseGuards(MyGuard)` or `{ provide: APP_GUARD, useClass: MyGuard }`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  protected readonly logger = new Logger(ApiKeyGuard.name);
  /** The configured key header, lower-case as Node stores incoming header names. */
  protected readonly header: string;
  private readonly routes = new RouteMetadataCache((context) => this.readRequirements(context));
  private readonly metrics: GatekeeperMetrics | undefined;
  private readonly tracing: GatekeeperTracing | undefined;
  /** When a storage failure was last logged, and how many went unlogged since. */
  private lastOutageLog = -Infinity;
  private unloggedOutages = 0;

  constructor(
    protected readonly apiKeys: ApiKeyService,
    @Inject(API_AUTH_MODULE_OPTIONS) protected readonly options: ApiAuthModuleOptions,
    protected readonly reflector: Reflector,
  ) {
    // Validated at startup, before any guard exists (the module's storage factory depends on it).
    this.header = resolveApiAuthOptions(options).header;
    this.metrics = metricsFor(options.metrics);
    this.tracing = tracingFor(options.tracing, 'api_auth');
  }

  /**
   * `true` at once when the route is public, or when every step answered synchronously (the key
   * from the in-process `localCache`): a guard that returns a boolean costs Nest no await.
   * Otherwise a promise. A refusal is always a rejected promise.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routes.get(context);
    if (route.isPublic) return true;
    if (this.tracing === undefined) return this.authenticate(context, route);
    return this.tracing.inSpan(VERIFY_SPAN, NO_ATTRIBUTES, (span) =>
      this.traced(span, context, route),
    );
  }

  /** `authenticate` in its span (`tracing: true`): the result code, never the key or its owner. */
  private traced(
    span: TraceSpan,
    context: ExecutionContext,
    route: ApiKeyRouteRequirements,
  ): boolean | Promise<boolean> {
    const settle = (error?: unknown) => {
      const result = error === undefined ? 'ok' : resultOf(error);
      span.setAttribute(RESULT_ATTRIBUTE, result);
      // A refused key is the guard doing its job; only a failing storage (503) is an error.
      if (error !== undefined && !(error instanceof HttpException && error.getStatus() < 500)) {
        setSpanError(span, result);
      }
      span.end();
    };
    let outcome: boolean | Promise<boolean>;
    try {
      outcome = this.authenticate(context, route);
    } catch (error) {
      settle(error ?? 'error');
      throw error;
    }
    if (!isPromiseLike(outcome)) {
      settle();
      return outcome;
    }
    return outcome.then(
      (admitted) => {
        settle();
        return admitted;
      },
      (error: unknown) => {
        settle(error ?? 'error');
        throw error;
      },
    );
  }

  private authenticate(
    context: ExecutionContext,
    route: ApiKeyRouteRequirements,
  ): boolean | Promise<boolean> {
    try {
      const request = this.getRequest(context);
      const rawKey = this.extractKey(request, context);
      const apiKey = isPromiseLike(rawKey)
        ? Promise.resolve(rawKey).then((key) => this.verify(key))
        : this.verify(rawKey);
      if (!isPromiseLike(apiKey)) return this.admit(request, apiKey, route);
      return Promise.resolve(apiKey)
        .then((verified) => this.admit(request, verified, route))
        .catch((error: unknown) => {
          throw this.refuse(error, context);
        });
    } catch (error) {
      return Promise.reject(this.refuse(error, context));
    }
  }

  /** The request the key is read from and `request.apiKey` is set on. Default: the HTTP request. */
  protected getRequest(context: ExecutionContext): ApiKeyRequest {
    // `switchToHttp().getRequest()` without the host object it allocates on every request.
    return context.getArgByIndex<ApiKeyRequest>(0);
  }

  /**
   * The presented key, or `undefined` (or `''`) when there is none: a 401 `missing_api_key`. Now or
   * as a promise. By default the configured header (any case, surrounding whitespace ignored), else
   * `Authorization: Bearer <key>`.
   */
  protected extractKey(
    request: ApiKeyRequest,
    _context: ExecutionContext,
  ): MaybePromise<string | undefined> {
    const headers = request.headers ?? {};
    const custom = single(headers[this.header])?.trim();
    if (custom) return custom;

    const authorization = single(headers.authorization)?.trim();
    return authorization ? bearerCredentials(authorization) : undefined;
  }

  /**
   * Maps whatever authentication threw (an `HttpException` such as the 401 for a missing key, an
   * `ApiKeyVerificationError`, or a storage failure) to the HTTP answer. Storage failures: 503.
   * Any 401 it returns is sent with `WWW-Authenticate` (see `challenge`).
   */
  protected toHttpException(error: unknown): HttpException {
    if (error instanceof HttpException) return error;
    if (error instanceof ApiKeyVerificationError)
      return new ApiKeyUnauthorizedException(error.code);
    this.logOutage(error);
    return new ApiAuthUnavailableException();
  }

  /**
   * The `WWW-Authenticate` value of a 401 (RFC 6750 for Bearer, plus our header scheme); `error`
   * is what authentication threw.
   */
  protected challenge(error: unknown): string {
    const missing =
      error instanceof ApiKeyUnauthorizedException && error.code === 'missing_api_key';
    const bearer = missing
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token"`;
    return `${bearer}, ApiKey realm="${REALM}", header="${this.header}"`;
  }

  /** Requirements on the controller and on the handler both apply. */
  protected readRequirements(context: ExecutionContext): ApiKeyRouteRequirements {
    const handlerFirst = [context.getHandler(), context.getClass()];
    const classFirst = [context.getClass(), context.getHandler()];
    const all = this.reflector
      .getAll<(string[] | undefined)[]>(REQUIRE_SCOPES_METADATA, classFirst)
      .flatMap((scopes) => scopes ?? []);
    return {
      isPublic:
        this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_METADATA, handlerFirst) ===
        true,
      all: [...new Set(all)],
      any: this.reflector
        .getAll<(string[] | undefined)[]>(REQUIRE_ANY_SCOPE_METADATA, classFirst)
        .filter((scopes): scopes is string[] => scopes !== undefined),
    };
  }

  private verify(rawKey: string | undefined): MaybePromise<ApiKey> {
    if (!rawKey) throw new ApiKeyUnauthorizedException('missing_api_key');
    return this.apiKeys[verifyApiKeyNow](rawKey);
  }

  /** Attaches the verified key to the request once its scopes satisfy the route. */
  private admit(request: ApiKeyRequest, apiKey: ApiKey, route: ApiKeyRouteRequirements): true {
    request[API_KEY_REQUEST_PROPERTY] = apiKey;
    this.assertScopes(apiKey, route);
    this.metrics?.apiKeyVerification('ok');
    return true;
  }

  /** The HTTP answer to a failed authentication, with its challenge header on a 401. */
  private refuse(error: unknown, context: ExecutionContext): HttpException {
    const exception = this.toHttpException(error);
    this.metrics?.apiKeyVerification(resultCode(exception));
    if (exception.getStatus() === 401) {
      const response: unknown = context.switchToHttp().getResponse();
      setHeader(response, 'WWW-Authenticate', this.challenge(error));
    }
    return exception;
  }

  /**
   * An outage fails every request: log the first failure, then at most one line per interval
   * with the number of failures in between, so the log stays readable under load.
   */
  private logOutage(error: unknown): void {
    const now = Date.now();
    if (now - this.lastOutageLog < OUTAGE_LOG_INTERVAL_MS) {
      this.unloggedOutages++;
      return;
    }
    const also =
      this.unloggedOutages > 0 ? ` (and ${this.unloggedOutages} more since the last report)` : '';
    this.logger.error(
      `API key lookup failed; refusing the request${also}: ${describeError(error)}`,
    );
    this.lastOutageLog = now;
    this.unloggedOutages = 0;
  }

  protected assertScopes(apiKey: ApiKey, route: ApiKeyRouteRequirements): void {
    if (route.all.length > 0 && !grantsAllScopes(apiKey.scopes, route.all)) {
      throw new InsufficientScopeException(route.all, 'all');
    }
    for (const requiredAny of route.any) {
      if (!grantsAnyScope(apiKey.scopes, requiredAny)) {
        throw new InsufficientScopeException(requiredAny, 'any');
      }
    }
  }
}

/**
 * The credentials of `Bearer <credentials>` (scheme in any case), or `undefined`: "Bearer" with
 * nothing after it is a missing key; anything after it is judged by the key parser. No regular
 * expression: V8 keeps the subject of the last successful match (the whole header) reachable.
 */
function bearerCredentials(authorization: string): string | undefined {
  if (authorization.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  const rest = authorization.slice(6);
  if (rest !== '' && rest[0] !== ' ' && rest[0] !== '\t') return undefined;
  return rest.trim() || undefined;
}

/** Duplicated headers arrive as arrays; joining them makes the value malformed, never ambiguous. */
function single(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Express and Fastify both expose `header(name, value)`; raw Node responses `setHeader`. */
function setHeader(response: unknown, name: string, value: string): void {
  const target = response as {
    header?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string) => unknown;
  } | null;
  if (typeof target?.header === 'function') target.header(name, value);
  else if (typeof target?.setHeader === 'function') target.setHeader(name, value);
}
