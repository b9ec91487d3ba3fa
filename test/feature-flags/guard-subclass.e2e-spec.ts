import {
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  FEATURE_FLAG_STORAGE,
  FeatureFlag,
  FeatureFlagGuard,
  FeatureFlagsModule,
  type EvaluationContext,
  type FeatureFlagRequirement,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';

/**
 * What the README shows: a guard subclass that targets by a header and refuses with a 403 that
 * names the plan, bound with the module's `guard` option. Its hooks answer with promises, as a
 * lookup in a session store would.
 */
@Injectable()
class PlanFlagGuard extends FeatureFlagGuard {
  protected override async getEvaluationContext(
    request: unknown,
  ): Promise<EvaluationContext | null> {
    const { headers } = request as { headers: Record<string, string | undefined> };
    const tenantId = headers['x-tenant'];
    if (tenantId === undefined) return null;
    return { tenantId, attributes: { plan: headers['x-plan'] ?? 'free' } };
  }

  protected override async createException(
    requirement: FeatureFlagRequirement,
    _context: ExecutionContext,
  ): Promise<Error> {
    return new ForbiddenException(`"${requirement.key}" needs another plan`);
  }
}

@Controller('reports')
@FeatureFlag('reports')
class ReportsController {
  @Get()
  list() {
    return { reports: [] };
  }

  @Get('export')
  @FeatureFlag('export', { defaultValue: true })
  export() {
    return { exported: true };
  }
}

describe('A FeatureFlagGuard subclass bound with the guard option, over HTTP', () => {
  let app: INestApplication;
  let storage: FeatureFlagStorage;

  beforeAll(async () => {
    @Module({
      imports: [FeatureFlagsModule.forRoot({ guard: PlanFlagGuard })],
      controllers: [ReportsController],
    })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    const reports = await storage.createFlag({
      key: 'reports',
      rules: [{ name: 'pro', conditions: [{ attribute: 'plan', operator: 'eq', value: 'pro' }] }],
    });
    await storage.createOverride({ flagId: reports.id, entityType: 'tenant', entityId: 'acme' });
  });

  afterAll(async () => {
    await app.close();
  });

  it('is the guard the module provides', () => {
    expect(app.get(FeatureFlagGuard)).toBeInstanceOf(PlanFlagGuard);
  });

  it('takes the context from its own hook: a rule on the plan, an override on the tenant', async () => {
    const http = request(app.getHttpServer());
    await http.get('/reports').set({ 'x-tenant': 't1', 'x-plan': 'pro' }).expect(200);
    await http.get('/reports').set({ 'x-tenant': 'acme', 'x-plan': 'free' }).expect(200);
  });

  it('refuses with the exception its hook builds', async () => {
    const refused = await request(app.getHttpServer())
      .get('/reports')
      .set({ 'x-tenant': 't1', 'x-plan': 'free' })
      .expect(403);
    expect(refused.body).toMatchObject({
      statusCode: 403,
      message: '"reports" needs another plan',
    });
  });

  it("falls back on each flag's defaultValue when its hook finds no context", async () => {
    await request(app.getHttpServer()).get('/reports').expect(403);
  });

  it("checks the controller's flag and the handler's in one pass", async () => {
    const http = request(app.getHttpServer());
    // `export` does not exist yet: its defaultValue (true) lets the tenant through.
    await http.get('/reports/export').set({ 'x-tenant': 'acme' }).expect(200, { exported: true });
    await storage.createFlag({ key: 'export', defaultEnabled: false });
    const refused = await http.get('/reports/export').set({ 'x-tenant': 'acme' }).expect(403);
    expect(refused.body.message).toBe('"export" needs another plan');
  });
});
