import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { GatekeeperConfigError } from './errors';
import { timedStorage } from './metrics';
import { validateStorageOptions } from './storage-options';
import { openTelemetryTracing, tracingFor } from './tracing';

class StorageDownError extends Error {}

class Store {
  async get(key: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return `value of ${key}`;
  }
  async fail(_ownerId: string): Promise<never> {
    await Promise.resolve();
    throw new StorageDownError('owner owner-7 is unreachable');
  }
  failNow(): never {
    throw new Error('at once');
  }
}

const labels = { module: 'feature_flags', backend: 'redis' } as const;

describe('tracingFor', () => {
  it('is off unless the option is true, and refuses anything but a boolean', () => {
    expect(tracingFor(undefined, 'api_auth')).toBeUndefined();
    expect(tracingFor(false, 'api_auth')).toBeUndefined();
    expect(tracingFor(true, 'api_auth')).toBeDefined();
    expect(() => tracingFor('yes', 'api_auth')).toThrow(GatekeeperConfigError);
  });

  it('is checked with the other module options at startup', () => {
    const spec = { moduleName: 'M', storageInterface: 'S', storageMethods: [], redisReaders: [] };
    expect(() => validateStorageOptions({ tracing: 'yes' as never }, spec)).toThrow(
      'tracing must be true or false',
    );
    expect(() => validateStorageOptions({ tracing: true }, spec)).not.toThrow();
  });
});

describe('timedStorage with tracing, without an OpenTelemetry SDK', () => {
  it('answers as the storage does, with no span to record into', async () => {
    const tracing = openTelemetryTracing('feature_flags');
    const store = timedStorage(new Store(), ['get'], labels, { tracing });
    await expect(store.get('a')).resolves.toBe('value of a');
    expect(tracing.recordingSpan()).toBeUndefined();
  });
});

describe('timedStorage with tracing, with an OpenTelemetry SDK', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });

  afterAll(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  beforeEach(() => exporter.reset());

  const store = () =>
    timedStorage(new Store(), ['get', 'fail', 'failNow'], labels, {
      tracing: openTelemetryTracing('feature_flags'),
    });

  it('ends a span per call, status OK, its attributes the module, backend and operation', async () => {
    await expect(store().get('user-1')).resolves.toBe('value of user-1');
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('gatekeeper.storage get');
    expect(span.attributes).toEqual({
      'gatekeeper.module': 'feature_flags',
      'gatekeeper.storage.backend': 'redis',
      'gatekeeper.storage.operation': 'get',
    });
    expect(span.status.code).toBe(0);
  });

  it('marks a failed call ERROR with the error class, never the message', async () => {
    await expect(store().fail('owner-7')).rejects.toThrow(StorageDownError);
    expect(() => store().failNow()).toThrow('at once');
    const [rejected, thrown] = exporter.getFinishedSpans();
    expect(rejected.status).toEqual({ code: 2 });
    expect(rejected.attributes['error.type']).toBe('StorageDownError');
    expect(thrown.name).toBe('gatekeeper.storage failNow');
    expect(thrown.attributes['error.type']).toBe('Error');
    expect(JSON.stringify([rejected.attributes, rejected.events])).not.toContain('owner-7');
  });

  it('is the current span while the storage runs, so driver spans nest under it', async () => {
    const tracer = trace.getTracer('driver');
    class Driven {
      async get(): Promise<void> {
        await Promise.resolve();
        tracer.startSpan('redis GET').end();
      }
    }
    await timedStorage(new Driven(), ['get'], labels, {
      tracing: openTelemetryTracing('feature_flags'),
    }).get();
    const [driver, storage] = exporter.getFinishedSpans();
    expect(driver.parentSpanContext?.spanId).toBe(storage.spanContext().spanId);
  });
});
