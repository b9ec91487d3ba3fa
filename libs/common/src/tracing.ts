import { requireDriver } from './driver';
import { GatekeeperConfigError } from './errors';
import type { MetricsModule } from './metrics';

/** A span attribute value, as `@opentelemetry/api` accepts it. */
export type TraceAttributeValue = string | number | boolean;
export type TraceAttributes = Record<string, TraceAttributeValue>;

/** The parts of an `@opentelemetry/api` Span used here (an optional peer: no type import from it). */
export interface TraceSpan {
  setAttribute(key: string, value: TraceAttributeValue): unknown;
  addEvent(name: string, attributes?: TraceAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  isRecording(): boolean;
  end(): void;
}

interface Tracer {
  startActiveSpan<T>(
    name: string,
    options: { kind: number; attributes: TraceAttributes },
    fn: (span: TraceSpan) => T,
  ): T;
}
interface OpenTelemetryApi {
  trace: {
    getTracer(name: string, version?: string): Tracer;
    getActiveSpan(): TraceSpan | undefined;
  };
}

/** `SpanStatusCode.ERROR` and `SpanKind.INTERNAL` of `@opentelemetry/api` (stable enums). */
const STATUS_ERROR = 2;
const KIND_INTERNAL = 0;

/**
 * Where both modules open spans and add events when `tracing: true` (docs/observability.md).
 * Attribute values follow the metrics' rule: bounded, never an API key, a user or owner id or an
 * error message.
 */
export interface GatekeeperTracing {
  /**
   * Runs `fn` in a new span, the current one's child and itself current while `fn` runs (so a
   * Redis or SQL driver's own spans nest under it). `fn` ends the span (see `endSpan`).
   */
  inSpan<T>(name: string, attributes: TraceAttributes, fn: (span: TraceSpan) => T): T;
  /** The current span when it is recording, else `undefined` (no SDK, or not sampled). */
  recordingSpan(): TraceSpan | undefined;
}

/** Each module's instrumentation scope: its package. */
const SCOPES: Record<MetricsModule, string> = {
  feature_flags: '@gatekeeper/feature-flags',
  api_auth: '@gatekeeper/api-auth',
};

const tracings = new Map<MetricsModule, GatekeeperTracing>();

/**
 * Spans through `@opentelemetry/api`'s global tracer provider. Without a registered SDK the API
 * hands out non-recording spans: nothing is exported and events are dropped.
 * @throws MissingDriverError when @opentelemetry/api is not installed.
 */
export function openTelemetryTracing(module: MetricsModule): GatekeeperTracing {
  let tracing = tracings.get(module);
  if (tracing !== undefined) return tracing;
  const api = requireDriver<OpenTelemetryApi>('@opentelemetry/api', 'tracing');
  // A proxy tracer: it follows an SDK registered later, so it can be kept.
  const tracer = api.trace.getTracer(SCOPES[module]);
  tracing = {
    inSpan: (name, attributes, fn) =>
      tracer.startActiveSpan(name, { kind: KIND_INTERNAL, attributes }, fn),
    recordingSpan: () => {
      const span = api.trace.getActiveSpan();
      return span !== undefined && span.isRecording() ? span : undefined;
    },
  };
  tracings.set(module, tracing);
  return tracing;
}

/**
 * The module's tracing for its `tracing` option: `undefined` when off, so that a module without
 * tracing never touches `@opentelemetry/api` (prom-client alone installs it).
 * @throws GatekeeperConfigError for a value other than a boolean; MissingDriverError when on and
 * @opentelemetry/api is not installed.
 */
export function tracingFor(option: unknown, module: MetricsModule): GatekeeperTracing | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true) throw new GatekeeperConfigError('tracing must be true or false');
  return openTelemetryTracing(module);
}

/**
 * Marks `span` failed: status ERROR, and `error.type` the error's class (`TimeoutError`, …) or the
 * given code. Never the message: it may quote data.
 */
export function setSpanError(span: TraceSpan, error: unknown): void {
  span.setAttribute('error.type', typeof error === 'string' ? error : errorType(error));
  span.setStatus({ code: STATUS_ERROR });
}

const ERROR_TYPE = /^[A-Za-z_$][\w$.]{0,63}$/;

/** A class name is bounded; anything else becomes semconv's `_OTHER`. */
function errorType(error: unknown): string {
  const name = error instanceof Error ? error.constructor.name || error.name : undefined;
  return name !== undefined && ERROR_TYPE.test(name) ? name : '_OTHER';
}
