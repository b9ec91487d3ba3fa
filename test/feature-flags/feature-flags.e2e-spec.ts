import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  FEATURE_FLAG_STORAGE,
  rolloutBucket,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { createFlagsApp } from './fixtures/flags-app.module';
import { OutageStorage } from './support/outage.storage';

describe('Feature flags over HTTP', () => {
  let app: INestApplication;
  let storage: FeatureFlagStorage;

  const setEnabled = async (key: string, defaultEnabled: boolean) => {
    const flag = await storage.getFlag(key);
    await storage.updateFlag({ ...flag!, defaultEnabled });
  };

  beforeEach(async () => {
    app = await createFlagsApp();
    storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
  });

  afterEach(async () => {
    await app.close();
  });

  describe('@FeatureFlag on a handler', () => {
    it('answers 404 until the flag exists and is on, then 200, and 404 again when flipped off', async () => {
      await request(app.getHttpServer()).get('/checkout').expect(404);

      await storage.createFlag({ key: 'new_checkout', defaultEnabled: false });
      const off = await request(app.getHttpServer()).get('/checkout').expect(404);
      // Indistinguishable from any unknown route: no flag name leaks.
      expect(off.body).toEqual({ statusCode: 404, message: 'Not Found', error: 'Not Found' });

      await setEnabled('new_checkout', true);
      await request(app.getHttpServer()).get('/checkout').expect(200, { checkout: 'new' });

      await setEnabled('new_checkout', false);
      await request(app.getHttpServer()).get('/checkout').expect(404);
    });

    it('requires every flag when several are stacked on one handler', async () => {
      await storage.createFlag({ key: 'new_checkout', defaultEnabled: true });
      await storage.createFlag({ key: 'express-lane', defaultEnabled: false });
      await request(app.getHttpServer()).get('/checkout/express').expect(404);
      await setEnabled('express-lane', true);
      await request(app.getHttpServer()).get('/checkout/express').expect(200);
      await setEnabled('new_checkout', false);
      await request(app.getHttpServer()).get('/checkout/express').expect(404);
    });

    it('leaves routes without the decorator alone', async () => {
      await request(app.getHttpServer()).get('/checkout/legacy').expect(200);
    });

    it('throws the configured exception instead of 404', async () => {
      await storage.createFlag({ key: 'brewing', defaultEnabled: false });
      const response = await request(app.getHttpServer()).get('/checkout/teapot').expect(418);
      expect(response.body.message).toBe('brewing is off');
    });

    it('lets defaultValue decide while the flag does not exist', async () => {
      await request(app.getHttpServer()).get('/checkout/fail-open').expect(200);
      await storage.createFlag({ key: 'not-created-yet', defaultEnabled: false });
      await request(app.getHttpServer()).get('/checkout/fail-open').expect(404);
    });
  });

  describe('@FeatureFlag on a controller', () => {
    it('gates every route, and a handler flag adds to it', async () => {
      await storage.createFlag({ key: 'beta-area', defaultEnabled: true });
      await storage.createFlag({ key: 'labs', defaultEnabled: false });
      await request(app.getHttpServer()).get('/beta').expect(200);
      await request(app.getHttpServer()).get('/beta/labs').expect(404);

      await setEnabled('labs', true);
      await request(app.getHttpServer()).get('/beta/labs').expect(200);

      await setEnabled('beta-area', false);
      await request(app.getHttpServer()).get('/beta').expect(404);
      await request(app.getHttpServer()).get('/beta/labs').expect(404);
    });

    it('reads each flag once per request, however the decorators are stacked', async () => {
      // A custom storage (no synchronous lookups), so every evaluation is a storage read.
      const custom = new OutageStorage();
      const customApp = await createFlagsApp({ storage: custom });
      try {
        for (const key of ['beta-area', 'labs', 'new_checkout', 'express-lane']) {
          await custom.createFlag({ key, defaultEnabled: true });
        }
        const reads = jest.spyOn(custom, 'getFlag');
        await request(customApp.getHttpServer()).get('/beta/labs').expect(200);
        await request(customApp.getHttpServer()).get('/checkout/express').expect(200);
        expect(reads.mock.calls.map(([key]) => key).sort()).toEqual([
          'beta-area',
          'express-lane',
          'labs',
          'new_checkout',
        ]);
      } finally {
        await customApp.close();
      }
    });
  });

  describe('targeting through the request context', () => {
    it('rolls out per user, from request.user.id', async () => {
      // new_checkout / user-123 is in bucket 2; find users above it.
      const outside = ['user-1', 'user-2', 'user-3', 'user-4', 'user-5'].filter(
        (id) => rolloutBucket('new_checkout', id) > 2,
      );
      expect(outside.length).toBeGreaterThan(0);
      await storage.createFlag({
        key: 'new_checkout',
        rules: [{ name: 'two-percent', conditions: [], rolloutPercentage: 2 }],
      });

      await request(app.getHttpServer()).get('/checkout').set('x-user-id', 'user-123').expect(200);
      for (const id of outside) {
        await request(app.getHttpServer()).get('/checkout').set('x-user-id', id).expect(404);
      }
      // Anonymous requests have no targeting key, so they are never in a rollout.
      await request(app.getHttpServer()).get('/checkout').expect(404);
    });

    it('targets on the country and client IP headers', async () => {
      await storage.createFlag({
        key: 'new_checkout',
        rules: [
          {
            conditions: [
              { attribute: 'country', operator: 'in', value: ['DE', 'AT'] },
              { attribute: 'ip', operator: 'starts_with', value: '203.0.113.' },
            ],
          },
        ],
      });
      const get = () => request(app.getHttpServer()).get('/checkout');
      await get()
        .set('CF-IPCountry', 'DE')
        .set('X-Forwarded-For', '203.0.113.9, 10.0.0.1')
        .expect(200);
      await get().set('X-Country-Code', 'AT').set('X-Forwarded-For', '203.0.113.9').expect(200);
      await get().set('CF-IPCountry', 'US').set('X-Forwarded-For', '203.0.113.9').expect(404);
      await get().set('CF-IPCountry', 'DE').set('X-Forwarded-For', '198.51.100.1').expect(404);
    });

    it('honours a per-user override', async () => {
      const flag = await storage.createFlag({ key: 'new_checkout', defaultEnabled: false });
      await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'qa-1',
        enabled: true,
      });
      await request(app.getHttpServer()).get('/checkout').set('x-user-id', 'qa-1').expect(200);
      await request(app.getHttpServer()).get('/checkout').set('x-user-id', 'qa-2').expect(404);
    });
  });

  describe('flag parameter decorators', () => {
    it("inject the request's evaluated values and details", async () => {
      await storage.createFlag({
        key: 'price-tier',
        flagType: 'string',
        defaultValue: 'standard',
        rules: [
          {
            name: 'vip',
            conditions: [{ attribute: 'userId', operator: 'eq', value: 'vip-1' }],
            serveValue: 'premium',
          },
        ],
      });
      await request(app.getHttpServer())
        .get('/pricing')
        .set('x-user-id', 'vip-1')
        .expect(200, { tier: 'premium', newCheckout: false, reason: 'TARGETING_MATCH' });
      await request(app.getHttpServer())
        .get('/pricing')
        .expect(200, { tier: 'standard', newCheckout: false, reason: 'STATIC' });
    });
  });

  describe('/health', () => {
    it('is up with the number of active flags', async () => {
      await storage.createFlag({ key: 'a' });
      await storage.createFlag({ key: 'b', status: 'inactive' });
      const response = await request(app.getHttpServer()).get('/health').expect(200);
      expect(response.body.info).toEqual({ feature_flags: { status: 'up', activeFlags: 1 } });
    });
  });
});

describe('Feature flags over HTTP with a custom contextResolver', () => {
  let app: INestApplication;

  afterEach(async () => {
    await app.close();
  });

  it('targets on whatever the resolver reads from the request', async () => {
    app = await createFlagsApp({
      contextResolver: (req: { headers: Record<string, string | undefined> }) => ({
        tenantId: req.headers['x-tenant'],
      }),
    });
    const storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    const flag = await storage.createFlag({ key: 'new_checkout' });
    await storage.createOverride({ flagId: flag.id, entityType: 'tenant', entityId: 'acme' });

    await request(app.getHttpServer()).get('/checkout').set('x-tenant', 'acme').expect(200);
    await request(app.getHttpServer()).get('/checkout').set('x-tenant', 'globex').expect(404);
  });

  it("serves the flag's defaultValue when the resolver throws", async () => {
    app = await createFlagsApp({
      contextResolver: () => {
        throw new Error('session store unavailable');
      },
    });
    const storage = app.get<FeatureFlagStorage>(FEATURE_FLAG_STORAGE);
    await storage.createFlag({ key: 'new_checkout', defaultEnabled: true });
    await storage.createFlag({ key: 'not-created-yet', defaultEnabled: false });

    await request(app.getHttpServer()).get('/checkout').expect(404);
    await request(app.getHttpServer()).get('/checkout/fail-open').expect(200);
  });
});

describe('Feature flags over HTTP during a storage outage', () => {
  let app: INestApplication;
  let storage: OutageStorage;

  beforeEach(async () => {
    storage = new OutageStorage();
    app = await createFlagsApp({ storage });
    await storage.createFlag({ key: 'new_checkout', defaultEnabled: true });
  });

  afterEach(async () => {
    await app.close();
    // The module never closes a storage instance it was handed.
    expect(storage.closed).toBe(false);
    await storage.close();
  });

  it('fails closed with 404, not 500, and recovers with the storage', async () => {
    storage.state = 'down';
    await request(app.getHttpServer()).get('/checkout').expect(404);
    storage.state = 'up';
    await request(app.getHttpServer()).get('/checkout').expect(200);
  });

  it('reports down with a scrubbed reason when the storage fails', async () => {
    storage.state = 'down';
    const response = await request(app.getHttpServer()).get('/health').expect(503);
    expect(response.body.error.feature_flags).toEqual({
      status: 'down',
      reason: 'storage is unreachable',
    });
  });

  it('reports down when the storage does not answer within the timeout', async () => {
    storage.state = 'hang';
    const response = await request(app.getHttpServer()).get('/health').expect(503);
    storage.release();
    expect(response.body.error.feature_flags.status).toBe('down');
    expect(response.body.error.feature_flags.reason).toMatch(/did not answer within/);
  });

  it('reports the failure reason without the password when a read fails', async () => {
    storage.affected = ['getAllActiveFlags'];
    storage.state = 'down';
    const response = await request(app.getHttpServer()).get('/health').expect(503);
    const reason: string = response.body.error.feature_flags.reason;
    expect(reason).toContain('ECONNREFUSED');
    expect(reason).not.toContain('s3cret-pw');
  });
});
