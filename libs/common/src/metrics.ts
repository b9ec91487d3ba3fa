import { requireDriver } from './driver';
import { GatekeeperConfigError } from './errors';
import { setSpanError, type GatekeeperTracing } from './tracing';

/** The module a metric sample comes from (its `module` label). */
export type MetricsModule = 'feature_flags' | 'api_auth';

/** How a cache lookup was answered: in process, by the storage, or stale while it failed. */
export type CacheResult = 'hit' | 'miss' | 'stale';

/**
 * Where both modules report what they do when `metrics: true` (DESIGN.md, "Prometheus"). Label
 * values are bounded: flag keys, reasons, rule or variant names, result codes, module, backend and
 * operation names — never an API key, a user id or an error message.
 */
export interface GatekeeperMetrics {
  /** `flag` is `''` when no stored flag was evaluated (missing, invalid context, storage failure). */
  flagEvaluation(flag: string, reason: string, variant: string | null): void;
  /** `ok`, or the `code` of the 401/403/503 answer. */
  apiKeyVerification(result: string): void;
  storageOperation(
    module: MetricsModule,
    backend: string,
    operation: string,
    seconds: number,
  ): void;
  cacheRequest(module: MetricsModule, result: CacheResult): void;
}

/** The parts of prom-client used here (an optional peer: no type import from it). */
interface Metric {
  labels(...values: string[]): { inc(value?: number): void; observe(value: number): void };
}
interface MetricConfig {
  name: string;
  help: string;
  labelNames: string[];
  buckets?: number[];
  collect?: (this: Metric) => void;
}
interface PromClient {
  register: { getSingleMetric(name: string): unknown };
  Counter: new (config: MetricConfig) => Metric;
  Histogram: new (config: MetricConfig) => Metric;
}

/** The count of one combination of label values since the last collect. */
interface Cell {
  values: string[];
  n: number;
}

/**
 * Counts by label values, in process: an increment is three Map lookups, no hashing of label
 * objects and no allocation once a combination has been seen (prom-client hashes the labels on
 * every `inc`, which would cost an evaluation several times its own price). The counts are handed
 * to prom-client when it collects, that is when `/metrics` is scraped.
 */
class Tally {
  private readonly cells = new Map<string, Map<string, Map<string, Cell>>>();

  constructor(private readonly arity: number) {}

  add(a: string, b = '', c = ''): void {
    let level = this.cells.get(a);
    if (level === undefined) this.cells.set(a, (level = new Map<string, Map<string, Cell>>()));
    let leaf = level.get(b);
    if (leaf === undefined) level.set(b, (leaf = new Map<string, Cell>()));
    const cell = leaf.get(c);
    if (cell === undefined) leaf.set(c, { values: [a, b, c].slice(0, this.arity), n: 1 });
    else cell.n++;
  }

  drain(into: Metric): void {
    for (const level of this.cells.values()) {
      for (const leaf of level.values()) {
        for (const cell of leaf.values()) {
          if (cell.n === 0) continue;
          into.labels(...cell.values).inc(cell.n);
          cell.n = 0;
        }
      }
    }
  }
}

/**
 * The tallies of every copy of this file in the process (each published package bundles one),
 * by metric name: whichever copy created a counter, its `collect` drains them all.
 */
const TALLIES_KEY = Symbol.for('gatekeeper.metrics.tallies');
function talliesOf(name: string): Set<Tally> {
  const global = globalThis as { [TALLIES_KEY]?: Map<string, Set<Tally>> };
  const all = (global[TALLIES_KEY] ??= new Map<string, Set<Tally>>());
  let tallies = all.get(name);
  if (tallies === undefined) all.set(name, (tallies = new Set<Tally>()));
  return tallies;
}

/**
 * The fixed metrics on prom-client's default registry, so that `@willsoto/nestjs-prometheus` or
 * any `/metrics` route serving `register.metrics()` exposes them. Created once per process: both
 * modules (and both packages' copies of this file) share them.
 * @throws MissingDriverError when prom-client is not installed.
 */
export function prometheusMetrics(): GatekeeperMetrics {
  const prometheus = requireDriver<PromClient>('prom-client', 'metrics');
  const counter = (name: string, help: string, labelNames: string[]): Tally => {
    const tally = new Tally(labelNames.length);
    const tallies = talliesOf(name);
    tallies.add(tally);
    if (!prometheus.register.getSingleMetric(name)) {
      new prometheus.Counter({
        name,
        help,
        labelNames,
        collect() {
          for (const each of tallies) each.drain(this);
        },
      });
    }
    return tally;
  };
  const durationsName = 'gatekeeper_storage_operation_duration_seconds';
  const durations =
    (prometheus.register.getSingleMetric(durationsName) as Metric | undefined) ??
    new prometheus.Histogram({
      name: durationsName,
      help: 'Duration of storage operations',
      labelNames: ['module', 'backend', 'operation'],
      buckets: STORAGE_BUCKETS,
    });
  const evaluations = counter('gatekeeper_flag_evaluations_total', 'Feature flag evaluations', [
    'flag',
    'reason',
    'variant',
  ]);
  const verifications = counter('gatekeeper_api_key_verifications_total', 'API key verifications', [
    'result',
  ]);
  const cache = counter('gatekeeper_cache_requests_total', 'In-process cache lookups', [
    'module',
    'result',
  ]);
  return {
    flagEvaluation: (flag, reason, variant) => evaluations.add(flag, reason, variant ?? ''),
    apiKeyVerification: (result) => verifications.add(result),
    // Storage calls are I/O: prom-client's own cost does not show beside them.
    storageOperation: (module, backend, operation, seconds) =>
      durations.labels(module, backend, operation).observe(seconds),
    cacheRequest: (module, result) => cache.add(module, result),
  };
}

/** Storage calls take milliseconds, a hanging one up to the timeouts (seconds). */
const STORAGE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The module's metrics for its `metrics` option: `undefined` when off.
 * @throws GatekeeperConfigError for a value other than a boolean; MissingDriverError when on and
 * prom-client is not installed.
 */
export function metricsFor(option: unknown): GatekeeperMetrics | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true) throw new GatekeeperConfigError('metrics must be true or false');
  return prometheusMetrics();
}

/** What `timedStorage` reports each call to: either or both. */
export interface StorageTelemetry {
  metrics?: GatekeeperMetrics;
  tracing?: GatekeeperTracing;
}

/**
 * `storage`, its calls of `operations` timed into `gatekeeper_storage_operation_duration_seconds`
 * (`metrics`) and each run in a span `gatekeeper.storage <operation>` (`tracing`), with the
 * module, backend and operation as attributes and status ERROR when the call fails. A Proxy, so
 * every other property (and `instanceof`) behaves as the storage's own.
 */
export function timedStorage<S extends object>(
  storage: S,
  operations: readonly string[],
  labels: { module: MetricsModule; backend: string },
  { metrics, tracing }: StorageTelemetry,
): S {
  const timed = new Map<PropertyKey, unknown>();
  return new Proxy(storage, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !operations.includes(property as string)) return value;
      let wrapper = timed.get(property);
      if (wrapper === undefined) {
        const operation = property as string;
        const call = (args: unknown[]): unknown =>
          Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        const measured = metrics === undefined ? call : measure(call, metrics, labels, operation);
        const traced =
          tracing === undefined ? measured : trace(measured, tracing, labels, operation);
        wrapper = function (this: unknown, ...args: unknown[]) {
          return traced(args);
        };
        timed.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

type Call = (args: unknown[]) => unknown;

function measure(
  call: Call,
  metrics: GatekeeperMetrics,
  labels: { module: MetricsModule; backend: string },
  operation: string,
): Call {
  const observe = (started: bigint) =>
    metrics.storageOperation(
      labels.module,
      labels.backend,
      operation,
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  return (args) => {
    const started = process.hrtime.bigint();
    const result = call(args);
    if (result instanceof Promise) {
      return result.finally(() => observe(started));
    }
    observe(started);
    return result;
  };
}

function trace(
  call: Call,
  tracing: GatekeeperTracing,
  labels: { module: MetricsModule; backend: string },
  operation: string,
): Call {
  const name = `gatekeeper.storage ${operation}`;
  const attributes = {
    'gatekeeper.module': labels.module,
    'gatekeeper.storage.backend': labels.backend,
    'gatekeeper.storage.operation': operation,
  };
  return (args) =>
    tracing.inSpan(name, attributes, (span) => {
      let result: unknown;
      try {
        result = call(args);
      } catch (error) {
        setSpanError(span, error);
        span.end();
        throw error;
      }
      if (!(result instanceof Promise)) {
        span.end();
        return result;
      }
      return result.then(
        (settled: unknown) => {
          span.end();
          return settled;
        },
        (error: unknown) => {
          setSpanError(span, error);
          span.end();
          throw error;
        },
      );
    });
}
