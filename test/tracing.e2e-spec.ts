import { ApiAuthModule, ApiKeyGuard, ApiKeyService } from '@gatekeeper/api-auth';
import {
  FeatureFlag,
  FeatureFlagClient,
  FeatureFlagsModule,
  FEATURE_FLAG_STORAGE,
  GatekeeperProvider,
  GatekeeperTracingHook,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { Controller, Get, type INestApplication, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OpenFeature, OpenFeatureClient, OpenFeatureModule } from '@openfeature/nestjs-sdk';
import type { Client } from '@openfeature/server-sdk';
import { context, trace, type Attributes, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import { testUrls, uniqueName } from './harness/servers';

/**
 * What an app's OpenTelemetry setup gives the modules: an SDK registered on the global API, and a
 * context manager so the request's span stays current across awaits (an HTTP instrumentation
 * opens that span; the middleware below stands in for it).
 */
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
trace.setGlobalTracerProvider(provider);

const USER_HEADER = 'x-user';

@Controller()
class TracedController {
  constructor(@OpenFeatureClient() private readonly openFeature: Client) {}

  @Get('beta')
  @FeatureFlag('beta')
  beta() {
    return { ok: true };
  }

  @Get('private')
  @UseGuards(ApiKeyGuard)
  private() {
    return { ok: true };
  }

  @Get('copy')
  async copy() {
    const details = await this.openFeature.getStringDetails('checkout-copy', 'Buy');
    const missing = await this.openFeature.getBooleanValue('no-such-flag', false);
    return { copy: details.value, missing };
  }
}

type Req = { method: string; path: string; headers: Record<string, unknown> };
type Res = { on(event: 'finish', listener: () => void): void };

describe('tracing: true (OpenTelemetry, in-memory exporter)', () => {
  let app: INestApplication;
  let key: string;
  const ownerId = uniqueName('owner-secret');

  beforeAll(async () => {
    const redisUrl = testUrls().redis;
    const module = await Test.createTestingModule({
      imports: [
        FeatureFlagsModule.forRoot({
          backend: 'redis',
          redisUrl,
          redisPrefix: `${uniqueName('tracing-ff')}:`,
          contextResolver: (req: Req) => ({ userId: req.headers[USER_HEADER] as string }),
          tracing: true,
          isGlobal: true,
        }),
        ApiAuthModule.forRoot({
          backend: 'redis',
          redisUrl,
          redisPrefix: `${uniqueName('tracing-keys')}:`,
          tracing: true,
        }),
        // The provider is set once the module's client exists (below); the hook is global.
        OpenFeatureModule.forRoot({
          hooks: [new GatekeeperTracingHook()],
          contextFactory: (execution) => {
            const user = execution.switchToHttp().getRequest<Req>().headers[USER_HEADER];
            return typeof user === 'string' ? { targetingKey: user } : undefined;
          },
        }),
      ],
      controllers: [TracedController],
    }).compile();
    app = module.createNestApplication({ logger: false });
    const tracer = trace.getTracer('test-http');
    app.use((req: Req, res: Res, next: () => void) =>
      tracer.startActiveSpan(`${req.method} ${req.path}`, (span) => {
        res.on('finish', () => span.end());
        next();
      }),
    );
    await app.init();
    await OpenFeature.setProviderAndWait(new GatekeeperProvider(app.get(FeatureFlagClient)));

    const flags = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    await flags.createFlag({
      key: 'beta',
      rules: [
        {
          name: 'staff',
          conditions: [{ attribute: 'userId', operator: 'in', value: ['staff-1'] }],
          serveEnabled: true,
        },
      ],
    });
    await flags.createFlag({
      key: 'checkout-copy',
      flagType: 'string',
      defaultEnabled: true,
      defaultValue: 'Buy',
      rules: [
        {
          name: 'staff-copy',
          conditions: [{ attribute: 'targetingKey', operator: 'eq', value: 'staff-1' }],
          serveEnabled: true,
          serveValue: 'Buy now, staff-1!',
        },
      ],
    });
    ({ key } = await app.get(ApiKeyService).create({ name: 'tracing', ownerId, scopes: [] }));
  });

  afterAll(async () => {
    await app?.close();
    await OpenFeature.close();
    OpenFeature.clearHooks();
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  beforeEach(() => exporter.reset());

  const http = () => request(app.getHttpServer());
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((span) => span.name === name);
  const only = (name: string): ReadableSpan => {
    const found = named(name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const isChildOf = (child: ReadableSpan, parent: ReadableSpan) =>
    sameSpan(child.parentSpanContext, parent.spanContext());
  const evaluationEvents = (span: ReadableSpan) =>
    span.events
      .filter((event) => event.name === 'feature_flag.evaluation')
      .map((event) => event.attributes);

  it('records each @FeatureFlag check as a feature_flag.evaluation event on the request span', async () => {
    await http().get('/beta').set(USER_HEADER, 'staff-1').expect(200);
    await http().get('/beta').set(USER_HEADER, 'someone').expect(404);

    const [admitted, refused] = named('GET /beta');
    expect(evaluationEvents(admitted)).toEqual([
      {
        'feature_flag.key': 'beta',
        'feature_flag.provider.name': 'gatekeeper',
        'feature_flag.result.reason': 'targeting_match',
        'feature_flag.result.variant': 'staff',
        'feature_flag.result.value': true,
      },
    ]);
    expect(evaluationEvents(refused)).toEqual([
      {
        'feature_flag.key': 'beta',
        'feature_flag.provider.name': 'gatekeeper',
        'feature_flag.result.reason': 'static',
        'feature_flag.result.value': false,
      },
    ]);
  });

  it('opens a span per Redis storage call, under the span that made it', async () => {
    await http().get('/beta').set(USER_HEADER, 'staff-1').expect(200);

    const route = only('GET /beta');
    const read = only('gatekeeper.storage getFlag');
    expect(read.attributes).toEqual({
      'gatekeeper.module': 'feature_flags',
      'gatekeeper.storage.backend': 'redis',
      'gatekeeper.storage.operation': 'getFlag',
    });
    expect(read.instrumentationScope.name).toBe('@gatekeeper/feature-flags');
    expect(read.status.code).toBe(0);
    expect(isChildOf(read, route)).toBe(true);
  });

  it('opens a verification span with the result code, the key lookup inside it', async () => {
    await http().get('/private').set('x-api-key', key).expect(200);
    await http().get('/private').set('x-api-key', 'sk_not-a-key').expect(401);
    await http().get('/private').expect(401);

    const verifications = named('gatekeeper.api_key.verify');
    expect(verifications.map((span) => span.attributes)).toEqual([
      { 'gatekeeper.api_key.result': 'ok' },
      { 'gatekeeper.api_key.result': 'invalid_api_key' },
      { 'gatekeeper.api_key.result': 'missing_api_key' },
    ]);
    // A refused key is an answer, not a failure of the guard.
    expect(verifications.map((span) => span.status.code)).toEqual([0, 0, 0]);
    expect(verifications[0].instrumentationScope.name).toBe('@gatekeeper/api-auth');

    const [routeWithKey] = named('GET /private');
    expect(isChildOf(verifications[0], routeWithKey)).toBe(true);
    const lookup = only('gatekeeper.storage getByHash');
    expect(lookup.attributes).toEqual({
      'gatekeeper.module': 'api_auth',
      'gatekeeper.storage.backend': 'redis',
      'gatekeeper.storage.operation': 'getByHash',
    });
    expect(isChildOf(lookup, verifications[0])).toBe(true);
  });

  it('GatekeeperTracingHook records OpenFeature evaluations on the active span', async () => {
    const { body } = await http().get('/copy').set(USER_HEADER, 'staff-1').expect(200);
    expect(body).toEqual({ copy: 'Buy now, staff-1!', missing: false });

    expect(evaluationEvents(only('GET /copy'))).toEqual([
      {
        'feature_flag.key': 'checkout-copy',
        'feature_flag.provider.name': 'gatekeeper',
        'feature_flag.result.reason': 'targeting_match',
        'feature_flag.result.variant': 'staff-copy',
      },
      {
        'feature_flag.key': 'no-such-flag',
        'feature_flag.provider.name': 'gatekeeper',
        'feature_flag.result.reason': 'error',
        'feature_flag.result.value': false,
        'error.type': 'flag_not_found',
      },
    ]);
  });

  it('never records an API key, a user id or an owner id', async () => {
    await http().get('/beta').set(USER_HEADER, 'staff-1').expect(200);
    await http().get('/copy').set(USER_HEADER, 'staff-1').expect(200);
    await http().get('/private').set('x-api-key', key).expect(200);
    await http().get('/private').set('authorization', `Bearer ${key}x`).expect(401);

    const recorded = spans().flatMap((span) => [
      span.name,
      ...values(span.attributes),
      ...span.events.flatMap((event) => [event.name, ...values(event.attributes ?? {})]),
    ]);
    expect(recorded.length).toBeGreaterThan(10);
    for (const secret of [key, key.slice(0, 20), 'staff-1', ownerId]) {
      expect(recorded.filter((text) => text.includes(secret))).toEqual([]);
    }
  });
});

function sameSpan(a: SpanContext | undefined, b: SpanContext): boolean {
  return a !== undefined && a.traceId === b.traceId && a.spanId === b.spanId;
}

function values(attributes: Attributes): string[] {
  return Object.values(attributes).map((value) => String(value));
}
