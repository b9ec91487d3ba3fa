import { messages, startAdminSession, type AdminSession } from './support/admin-session';
import type { JsonResponse } from './support/http';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(['sqlite', 'memory'] as const)('admin: schedules of a flag on %s', (backend) => {
  let session: AdminSession;

  beforeAll(async () => {
    session = await startAdminSession(backend);
  });

  afterAll(async () => {
    await session?.close();
  });

  const future = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();

  /** The flag once `check` holds, polled for up to 5 s (the demo's scheduler runs every second). */
  async function flagOnce(key: string, check: (flag: JsonResponse['body']) => boolean) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const flag = (await session.http('GET', `/admin/flags/${key}`, { key: session.admin })).body;
      if (check(flag) || Date.now() > deadline) return flag;
      await sleep(100);
    }
  }

  describe('scheduled changes', () => {
    it('applies a change when due, once, by the owner who scheduled it; an applied one stays as history', async () => {
      const { http, admin, reader } = session;
      const created = await http('POST', '/admin/flags/new_checkout/scheduled-changes', {
        key: admin,
        body: { changeType: 'update_rollout', newRolloutPercentage: 60, inSeconds: 1 },
      });
      expect(created).toMatchObject({
        status: 201,
        body: {
          changeType: 'update_rollout',
          newRolloutPercentage: 60,
          executed: false,
          executedAt: null,
          createdBy: 'gatekeeper-admin',
        },
      });
      const due = Date.parse(created.body.scheduledAt);
      expect(due - Date.parse(created.body.createdAt)).toBeGreaterThanOrEqual(900);

      const flag = await flagOnce('new_checkout', (f) => f.rules[0].rolloutPercentage === 60);
      expect(flag.rules[0].rolloutPercentage).toBe(60);
      const listed = await http('GET', '/admin/flags/new_checkout/scheduled-changes', {
        key: reader,
      });
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual([
        expect.objectContaining({
          id: created.body.id,
          executed: true,
          executedAt: expect.any(String),
        }),
      ]);
      expect(Date.parse(listed.body[0].executedAt)).toBeGreaterThanOrEqual(due);

      const cancelled = await http(
        'DELETE',
        `/admin/flags/new_checkout/scheduled-changes/${created.body.id}`,
        { key: admin },
      );
      expect(cancelled.status).toBe(409);
      expect(cancelled.body.message).toMatch(/can no longer be cancelled/);
    });

    it('cancels a pending change: it never applies', async () => {
      const { http, admin } = session;
      const created = await http('POST', '/admin/flags/catalog_banner/scheduled-changes', {
        key: admin,
        body: { changeType: 'update_value', newValue: 'Never shown', scheduledAt: future() },
      });
      expect(created.status).toBe(201);
      const path = `/admin/flags/catalog_banner/scheduled-changes/${created.body.id}`;
      expect((await http('DELETE', path, { key: admin })).status).toBe(204);
      expect((await http('DELETE', path, { key: admin })).status).toBe(404);
      const listed = await http('GET', '/admin/flags/catalog_banner/scheduled-changes', {
        key: admin,
      });
      expect(listed.body).toEqual([]);
      // Another flag's change is not this flag's to cancel.
      const other = await http('POST', '/admin/flags/new_checkout/scheduled-changes', {
        key: admin,
        body: { changeType: 'disable', scheduledAt: future() },
      });
      const foreign = await http(
        'DELETE',
        `/admin/flags/catalog_banner/scheduled-changes/${other.body.id}`,
        { key: admin },
      );
      expect(foreign.status).toBe(404);
      await http('DELETE', `/admin/flags/new_checkout/scheduled-changes/${other.body.id}`, {
        key: admin,
      });
    });

    it('refuses invalid changes with 400s naming the field, and stores none', async () => {
      const { http, admin } = session;
      const cases: Array<[object, string[]]> = [
        [
          { changeType: 'explode', inSeconds: -1 },
          [
            expect.stringMatching(/^changeType must be one of the following values: enable/),
            'inSeconds must not be less than 0',
          ],
        ],
        [
          { changeType: 'enable' },
          ['scheduledAt must be an ISO 8601 date-time (or give inSeconds)'],
        ],
        [
          { changeType: 'enable', scheduledAt: 'tomorrow' },
          ['scheduledAt must be an ISO 8601 date-time (or give inSeconds)'],
        ],
        [
          { changeType: 'enable', scheduledAt: '+010000-01-01T00:00:00Z' },
          ['scheduledAt must be between 1970-01-01 and 9999-12-31'],
        ],
        [
          { changeType: 'enable', scheduledAt: '0001-01-01T00:00:00Z' },
          ['scheduledAt must be between 1970-01-01 and 9999-12-31'],
        ],
        [
          { changeType: 'enable', scheduledAt: future(), inSeconds: 5 },
          ['give scheduledAt or inSeconds, not both'],
        ],
        [
          { changeType: 'update_value', inSeconds: 5 },
          ['newValue is required for an update_value change'],
        ],
        [
          { changeType: 'update_value', newValue: 'on', inSeconds: 5 },
          ['newValue must be a boolean value for a boolean flag'],
        ],
        [
          { changeType: 'enable', newValue: true, inSeconds: 5 },
          ['newValue is only used by update_value changes'],
        ],
        [
          { changeType: 'update_rollout', newRolloutPercentage: 101, inSeconds: 5 },
          ['newRolloutPercentage must not be greater than 100'],
        ],
        [
          { changeType: 'disable', newRolloutPercentage: 5, inSeconds: 5 },
          ['newRolloutPercentage is only used by update_rollout changes'],
        ],
        [
          { changeType: 'enable', inSeconds: 5, executed: true },
          ['property executed should not exist'],
        ],
      ];
      for (const [body, expected] of cases) {
        const response = await http('POST', '/admin/flags/new_checkout/scheduled-changes', {
          key: admin,
          body,
        });
        expect({ body, status: response.status, messages: messages(response.body) }).toEqual({
          body,
          status: 400,
          messages: expected,
        });
      }
      const listed = await http('GET', '/admin/flags/new_checkout/scheduled-changes', {
        key: admin,
      });
      expect(listed.body.filter((change: { executed: boolean }) => !change.executed)).toEqual([]);
    });
  });

  describe('rollout phases', () => {
    it('lists phases by number, applies a due one, refuses a taken number and cancels a pending one', async () => {
      const { http, admin, reader } = session;
      const later = await http('POST', '/admin/flags/new_checkout/rollout-phases', {
        key: admin,
        body: { phaseNumber: 2, targetPercentage: 100, scheduledAt: future() },
      });
      expect(later).toMatchObject({
        status: 201,
        body: { phaseNumber: 2, targetPercentage: 100, executed: false },
      });
      const now = await http('POST', '/admin/flags/new_checkout/rollout-phases', {
        key: admin,
        body: { phaseNumber: 1, targetPercentage: 35, inSeconds: 0 },
      });
      expect(now.status).toBe(201);
      const flag = await flagOnce('new_checkout', (f) => f.rules[0].rolloutPercentage === 35);
      expect(flag.rules[0].rolloutPercentage).toBe(35);

      const listed = await http('GET', '/admin/flags/new_checkout/rollout-phases', { key: reader });
      expect(listed.body).toEqual([
        expect.objectContaining({ phaseNumber: 1, executed: true }),
        expect.objectContaining({ phaseNumber: 2, executed: false }),
      ]);

      const taken = await http('POST', '/admin/flags/new_checkout/rollout-phases', {
        key: admin,
        body: { phaseNumber: 2, targetPercentage: 50, inSeconds: 60 },
      });
      expect(taken).toMatchObject({
        status: 409,
        body: { message: 'flag "new_checkout" has a rollout phase 2 already' },
      });

      const base = '/admin/flags/new_checkout/rollout-phases';
      expect((await http('DELETE', `${base}/${now.body.id}`, { key: admin })).status).toBe(409);
      expect((await http('DELETE', `${base}/${later.body.id}`, { key: admin })).status).toBe(204);
      expect((await http('DELETE', `${base}/${later.body.id}`, { key: admin })).status).toBe(404);
    });

    it('refuses invalid phases with 400s naming the field', async () => {
      const { http, admin } = session;
      const response = await http('POST', '/admin/flags/new_checkout/rollout-phases', {
        key: admin,
        body: { phaseNumber: 1.5, targetPercentage: 120 },
      });
      expect(response.status).toBe(400);
      expect(messages(response.body)).toEqual(
        expect.arrayContaining([
          'phaseNumber must be an integer number',
          'targetPercentage must not be greater than 100',
          'scheduledAt must be an ISO 8601 date-time (or give inSeconds)',
        ]),
      );
    });
  });

  describe('time schedules', () => {
    /** A daily window that is surely closed now: it opens two hours from now, for an hour. */
    function closedWindow() {
      const at = (hours: number) => {
        const date = new Date(Date.now() + hours * 3600 * 1000);
        const pad = (n: number) => String(n).padStart(2, '0');
        return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
      };
      return { startTime: at(2), endTime: at(3) };
    }

    it('keeps a flag off outside its windows, until the schedule is deleted', async () => {
      const { http, admin, reader } = session;
      const evaluation = async () =>
        (await http('GET', '/admin/flags/new_checkout/evaluation?ownerId=bluth', { key: admin }))
          .body;
      await http('PATCH', '/admin/flags/new_checkout/rules/rollout', {
        key: admin,
        body: { rolloutPercentage: 100 },
      });
      expect(await evaluation()).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });

      const created = await http('POST', '/admin/flags/new_checkout/time-schedules', {
        key: admin,
        body: { name: 'evening', recurrenceType: 'daily', ...closedWindow() },
      });
      expect(created).toMatchObject({
        status: 201,
        body: { name: 'evening', recurrenceType: 'daily', timezone: 'UTC', enabled: true },
      });
      expect(await evaluation()).toMatchObject({ value: false, reason: 'DISABLED' });
      const listed = await http('GET', '/admin/flags/new_checkout/time-schedules', {
        key: reader,
      });
      expect(listed.body).toEqual([expect.objectContaining({ id: created.body.id })]);

      const path = `/admin/flags/new_checkout/time-schedules/${created.body.id}`;
      expect((await http('DELETE', path, { key: admin })).status).toBe(204);
      expect(await evaluation()).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
      expect((await http('DELETE', path, { key: admin })).status).toBe(404);
    });

    it('refuses invalid schedules with 400s naming the field, and stores none', async () => {
      const { http, admin } = session;
      const cases: Array<[object, RegExp]> = [
        [{ name: 'x', recurrenceType: 'hourly' }, /^recurrenceType must be one of/],
        [
          { name: 'x', recurrenceType: 'daily', startTime: '25:00', endTime: '26:00' },
          /startTime must be a time HH:MM/,
        ],
        [
          {
            name: 'x',
            recurrenceType: 'daily',
            startTime: '09:00',
            endTime: '17:00',
            daysOfWeek: [1],
          },
          /daysOfWeek is not used by daily schedules/,
        ],
        [
          {
            name: 'x',
            recurrenceType: 'daily',
            startTime: '09:00',
            endTime: '17:00',
            timezone: 'Mars/Olympus',
          },
          /timezone must be an IANA time zone/,
        ],
        [
          { name: 'x', recurrenceType: 'cron', cronExpression: 'every minute' },
          /cronExpression must be a 5-field cron expression/,
        ],
        [
          { name: 'x', recurrenceType: 'weekly', daysOfWeek: ['monday'] },
          /^each value in daysOfWeek must be an integer/,
        ],
      ];
      for (const [body, expected] of cases) {
        const response = await http('POST', '/admin/flags/new_checkout/time-schedules', {
          key: admin,
          body,
        });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect(messages(response.body)).toEqual([expect.stringMatching(expected)]);
      }
      const listed = await http('GET', '/admin/flags/new_checkout/time-schedules', { key: admin });
      expect(listed.body).toEqual([]);
    });
  });

  it('answers 404 for an unknown flag on every schedule route', async () => {
    const { http, admin } = session;
    for (const resource of ['scheduled-changes', 'rollout-phases', 'time-schedules']) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const path = `/admin/flags/nope/${resource}${method === 'DELETE' ? '/some-id' : ''}`;
        const body =
          method !== 'POST'
            ? undefined
            : resource === 'scheduled-changes'
              ? { changeType: 'enable', inSeconds: 5 }
              : resource === 'rollout-phases'
                ? { phaseNumber: 1, targetPercentage: 5, inSeconds: 5 }
                : { name: 'x', recurrenceType: 'cron', cronExpression: '* * * * *' };
        const response = await http(method, path, { key: admin, body });
        expect({ method, path, status: response.status, message: response.body.message }).toEqual({
          method,
          path,
          status: 404,
          message: 'no feature flag with key "nope"',
        });
      }
    }
  });

  it('needs a key (401), flags:read to read and flags:write to write (403)', async () => {
    const { http, reader, customer } = session;
    for (const resource of ['scheduled-changes', 'rollout-phases', 'time-schedules']) {
      const base = `/admin/flags/new_checkout/${resource}`;
      expect((await http('GET', base)).status).toBe(401);
      expect((await http('GET', base, { key: customer })).status).toBe(403);
      expect((await http('GET', base, { key: reader })).status).toBe(200);
      expect((await http('POST', base, { key: reader, body: {} })).status).toBe(403);
      expect((await http('DELETE', `${base}/some-id`, { key: reader })).status).toBe(403);
    }
  });
});
