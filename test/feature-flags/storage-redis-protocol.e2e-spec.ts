import Redis from 'ioredis';
import {
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  modifyFlag,
  RedisFeatureFlagStorage,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  type RolloutPhase,
  type ScheduledFlagChange,
} from '@gatekeeper/feature-flags';
import { testUrls, uniqueName } from '../harness/servers';
import { keysUnder } from './support/redis-keys';

/**
 * What the cross-backend protocol suite cannot see on Redis: the keys each record leaves (and
 * that deletes leave none behind), uniqueness and once-only application across separate clients,
 * and flags litestar-flags wrote, which are not in our id index.
 */
describe('RedisFeatureFlagStorage: environments and schedules', () => {
  let redis: Redis;
  let prefix: string;
  let storage: RedisFeatureFlagStorage;
  const later = new Date(Date.now() + 3_600_000);

  beforeAll(() => {
    redis = new Redis(testUrls().redis);
  });

  beforeEach(() => {
    prefix = uniqueName('ffp:') + ':';
    storage = new RedisFeatureFlagStorage(redis, { prefix });
  });

  afterAll(async () => {
    await redis.quit();
  });

  /** Separate clients and storages on one prefix: what separate instances of a service have. */
  async function instances(
    count: number,
    run: (storage: RedisFeatureFlagStorage) => Promise<void>,
  ) {
    const clients = Array.from({ length: count }, () => new Redis(testUrls().redis));
    try {
      await Promise.all(
        clients.map((client) => run(new RedisFeatureFlagStorage(client, { prefix }))),
      );
    } finally {
      await Promise.all(clients.map((client) => client.quit()));
    }
  }

  async function document(key: string): Promise<unknown> {
    return JSON.parse((await redis.get(`${prefix}${key}`))!);
  }

  it('writes each record as a snake_case document with its index entries', async () => {
    const flag = await storage.createFlag({ key: 'checkout', rules: [{ rolloutPercentage: 10 }] });
    const environment = await storage.createEnvironment({
      name: 'Staging',
      slug: 'staging',
      settings: { region: 'eu' },
    });
    const environmentFlag = await storage.createEnvironmentFlag({
      environmentId: environment.id,
      flagId: flag.id,
      percentage: 25,
      variants: [{ key: 'a', value: 1, weight: 100 }],
    });
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'update_value',
      scheduledAt: new Date('2030-01-02T03:04:05.678Z'),
      newValue: { copy: 'new' },
      createdBy: 'alice',
    });
    const phase = await storage.createRolloutPhase({
      flagId: flag.id,
      phaseNumber: 1,
      targetPercentage: 50,
      scheduledAt: later,
    });
    const schedule = await storage.createTimeSchedule({
      flagId: flag.id,
      name: 'office hours',
      recurrenceType: 'weekly',
      startTime: '09:00',
      endTime: '17:00',
      daysOfWeek: [0, 1, 2, 3, 4],
      timezone: 'Europe/Berlin',
    });

    expect(await keysUnder(redis, prefix)).toEqual(
      [
        'environment_flag:' + `${environment.id}:${flag.id}`,
        `environment_flags:${environment.id}`,
        `environment:${environment.id}`,
        'environment_slugs',
        'environments',
        'flag:checkout',
        'flag_environments:' + flag.id,
        'flag_ids',
        'flag_rollout_phases:' + flag.id,
        'flag_scheduled_changes:' + flag.id,
        'flag_time_schedules:' + flag.id,
        'flags',
        `rollout_phase:${phase.id}`,
        'rollout_phases',
        `scheduled_change:${change.id}`,
        'scheduled_changes',
        'scheduled_changes_pending',
        `time_schedule:${schedule.id}`,
        'time_schedules',
      ]
        .map((key) => prefix + key)
        .sort(),
    );
    expect(await redis.hgetall(`${prefix}flag_ids`)).toEqual({ [flag.id]: 'checkout' });
    expect(await redis.hgetall(`${prefix}environment_slugs`)).toEqual({ staging: environment.id });
    expect(await redis.smembers(`${prefix}environment_flags:${environment.id}`)).toEqual([flag.id]);
    expect(await redis.smembers(`${prefix}flag_environments:${flag.id}`)).toEqual([environment.id]);
    expect(await redis.zrange(`${prefix}scheduled_changes_pending`, 0, -1, 'WITHSCORES')).toEqual([
      change.id,
      String(Date.parse('2030-01-02T03:04:05.678Z')),
    ]);
    expect(await redis.hgetall(`${prefix}flag_rollout_phases:${flag.id}`)).toEqual({
      1: phase.id,
    });

    expect(await document(`environment:${environment.id}`)).toEqual({
      id: environment.id,
      name: 'Staging',
      slug: 'staging',
      description: null,
      parent_id: null,
      settings: { region: 'eu' },
      is_active: true,
      created_at: environment.createdAt.toISOString(),
      updated_at: environment.updatedAt.toISOString(),
    });
    expect(await document(`environment_flag:${environment.id}:${flag.id}`)).toEqual({
      id: environmentFlag.id,
      environment_id: environment.id,
      flag_id: flag.id,
      enabled: null,
      percentage: 25,
      rules: null,
      variants: [
        {
          id: environmentFlag.variants![0].id,
          key: 'a',
          name: 'a',
          description: null,
          value: 1,
          weight: 100,
        },
      ],
      created_at: environmentFlag.createdAt.toISOString(),
      updated_at: environmentFlag.updatedAt.toISOString(),
    });
    expect(await document(`scheduled_change:${change.id}`)).toEqual({
      id: change.id,
      flag_id: flag.id,
      change_type: 'update_value',
      scheduled_at: '2030-01-02T03:04:05.678Z',
      executed: false,
      executed_at: null,
      new_value: { copy: 'new' },
      new_rollout_percentage: null,
      created_by: 'alice',
      created_at: change.createdAt.toISOString(),
      updated_at: change.updatedAt.toISOString(),
    });
    expect(await document(`rollout_phase:${phase.id}`)).toEqual({
      id: phase.id,
      flag_id: flag.id,
      phase_number: 1,
      target_percentage: 50,
      scheduled_at: later.toISOString(),
      executed: false,
      executed_at: null,
      created_at: phase.createdAt.toISOString(),
      updated_at: phase.updatedAt.toISOString(),
    });
    expect(await document(`time_schedule:${schedule.id}`)).toEqual({
      id: schedule.id,
      flag_id: flag.id,
      name: 'office hours',
      recurrence_type: 'weekly',
      start_time: '09:00',
      end_time: '17:00',
      days_of_week: [0, 1, 2, 3, 4],
      days_of_month: null,
      cron_expression: null,
      timezone: 'Europe/Berlin',
      enabled: true,
      created_at: schedule.createdAt.toISOString(),
      updated_at: schedule.updatedAt.toISOString(),
    });
  });

  it('deleteFlag and deleteEnvironment leave no key or index entry behind', async () => {
    const doomed = await storage.createFlag({ key: 'doomed' });
    const kept = await storage.createFlag({ key: 'kept' });
    const [production, staging] = await Promise.all([
      storage.createEnvironment({ name: 'Production', slug: 'production' }),
      storage.createEnvironment({ name: 'Staging', slug: 'staging' }),
    ]);
    for (const flag of [doomed, kept]) {
      for (const environment of [production, staging]) {
        await storage.createEnvironmentFlag({
          environmentId: environment.id,
          flagId: flag.id,
          enabled: true,
        });
      }
      await storage.createOverride({ flagId: flag.id, entityType: 'user', entityId: 'u1' });
      await storage.createScheduledChange({
        flagId: flag.id,
        changeType: 'enable',
        scheduledAt: later,
      });
      await storage.createScheduledChange({
        flagId: flag.id,
        changeType: 'disable',
        scheduledAt: later,
        executed: true,
      });
      await storage.createRolloutPhase({
        flagId: flag.id,
        phaseNumber: 1,
        targetPercentage: 10,
        scheduledAt: later,
      });
      await storage.createTimeSchedule({
        flagId: flag.id,
        name: 'nightly',
        recurrenceType: 'daily',
        startTime: '22:00',
        endTime: '06:00',
      });
    }
    const keptKeys = async () => {
      const [change, done] = await storage.getScheduledChanges(kept.id, false);
      const [phase] = await storage.getRolloutPhases(kept.id);
      const [schedule] = await storage.getTimeSchedules(kept.id);
      return [
        'environment:' + production.id,
        'environment_flags:' + production.id,
        'environment_flag:' + `${production.id}:${kept.id}`,
        'environment_slugs',
        'environments',
        'flag:kept',
        'flag_environments:' + kept.id,
        'flag_ids',
        'flag_overrides:' + kept.id,
        'flag_rollout_phases:' + kept.id,
        'flag_scheduled_changes:' + kept.id,
        'flag_time_schedules:' + kept.id,
        'flags',
        `override:${kept.id}:user:u1`,
        `rollout_phase:${phase.id}`,
        'rollout_phases',
        `scheduled_change:${change.id}`,
        `scheduled_change:${done.id}`,
        'scheduled_changes',
        'scheduled_changes_pending',
        `time_schedule:${schedule.id}`,
        'time_schedules',
      ]
        .map((key) => prefix + key)
        .sort();
    };

    expect(await storage.deleteFlag('doomed')).toBe(true);
    expect(await storage.deleteEnvironment('staging')).toBe(true);
    expect(await keysUnder(redis, prefix)).toEqual(await keptKeys());
    // The indexes that stay list the survivors only.
    expect(await redis.hkeys(`${prefix}flag_ids`)).toEqual([kept.id]);
    expect(await redis.smembers(`${prefix}environments`)).toEqual([production.id]);
    expect(await redis.hkeys(`${prefix}environment_slugs`)).toEqual(['production']);
    expect(await redis.smembers(`${prefix}environment_flags:${production.id}`)).toEqual([kept.id]);
    expect(await redis.smembers(`${prefix}flag_environments:${kept.id}`)).toEqual([production.id]);
    expect(await redis.scard(`${prefix}scheduled_changes`)).toBe(2);
    expect(await redis.zcard(`${prefix}scheduled_changes_pending`)).toBe(1);
    expect(await redis.scard(`${prefix}rollout_phases`)).toBe(1);
    expect(await redis.scard(`${prefix}time_schedules`)).toBe(1);

    // Deleting the records one by one empties their indexes as well.
    const [change, done] = await storage.getScheduledChanges(kept.id, false);
    const [phase] = await storage.getRolloutPhases(kept.id);
    const [schedule] = await storage.getTimeSchedules(kept.id);
    expect(await storage.deleteScheduledChange(change.id)).toBe(true);
    expect(await storage.deleteScheduledChange(done.id)).toBe(true);
    expect(await storage.deleteRolloutPhase(phase.id)).toBe(true);
    expect(await storage.deleteTimeSchedule(schedule.id)).toBe(true);
    expect(await storage.deleteEnvironmentFlag(production.id, kept.id)).toBe(true);
    expect(await storage.deleteEnvironment('production')).toBe(true);
    expect(await storage.deleteOverride(kept.id, 'user', 'u1')).toBe(true);
    expect(await storage.deleteFlag('kept')).toBe(true);
    expect(await keysUnder(redis, prefix)).toEqual([]);
  });

  it('lets one of concurrent creates from separate instances win, the others get the typed error', async () => {
    const flag = await storage.createFlag({ key: 'contended' });
    const environment = await storage.createEnvironment({ name: 'Base', slug: 'base' });
    const outcomes: Array<PromiseSettledResult<unknown>> = [];
    await instances(5, async (instance) => {
      outcomes.push(
        ...(await Promise.allSettled([
          instance.createEnvironment({ name: 'Raced', slug: 'raced' }),
          instance.createEnvironmentFlag({ environmentId: environment.id, flagId: flag.id }),
          instance.createRolloutPhase({
            flagId: flag.id,
            phaseNumber: 7,
            targetPercentage: 70,
            scheduledAt: later,
          }),
        ])),
      );
    });
    const failures = (type: new (...args: never[]) => Error) =>
      outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof type);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    expect(failures(EnvironmentAlreadyExistsError)).toHaveLength(4);
    expect(failures(EnvironmentFlagAlreadyExistsError)).toHaveLength(4);
    expect(failures(RolloutPhaseAlreadyExistsError)).toHaveLength(4);
    expect(await redis.scard(`${prefix}environments`)).toBe(2);
    expect(await redis.scard(`${prefix}rollout_phases`)).toBe(1);
  });

  it('refuses records naming a missing flag or environment, and never orphans one racing deleteFlag', async () => {
    const environment = await storage.createEnvironment({ name: 'Base', slug: 'base' });
    const flag = await storage.createFlag({ key: 'real' });
    const missing = '00000000-0000-4000-8000-000000000000';
    const refused = (promise: Promise<unknown>) =>
      expect(promise).rejects.toBeInstanceOf(ReferenceNotFoundError);
    await refused(
      storage.createEnvironmentFlag({ environmentId: environment.id, flagId: missing }),
    );
    await refused(storage.createEnvironmentFlag({ environmentId: missing, flagId: flag.id }));
    await refused(
      storage.createScheduledChange({ flagId: missing, changeType: 'enable', scheduledAt: later }),
    );
    await refused(
      storage.createRolloutPhase({
        flagId: missing,
        phaseNumber: 1,
        targetPercentage: 5,
        scheduledAt: later,
      }),
    );
    await refused(
      storage.createTimeSchedule({
        flagId: missing,
        name: 'n',
        recurrenceType: 'daily',
        startTime: '01:00',
        endTime: '02:00',
      }),
    );
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: later,
    });
    await refused(storage.updateScheduledChange({ ...change, flagId: missing }));
    const other = await storage.createFlag({ key: 'other' });
    const moved = await storage.updateScheduledChange({ ...change, flagId: other.id });
    expect(await storage.getScheduledChanges(other.id)).toEqual([moved]);
    expect(await redis.smembers(`${prefix}flag_scheduled_changes:${flag.id}`)).toEqual([]);
    await storage.updateScheduledChange({ ...moved, flagId: flag.id });

    // Creates racing the flag's deletion: each either lands before it (and is deleted with the
    // flag) or after it (and is refused); none survives.
    const creates = Array.from({ length: 20 }, (_, i) =>
      storage
        .createScheduledChange({ flagId: flag.id, changeType: 'enable', scheduledAt: later })
        .then(() =>
          storage.createTimeSchedule({
            flagId: flag.id,
            name: `s${i}`,
            recurrenceType: 'daily',
            startTime: '01:00',
            endTime: '02:00',
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ReferenceNotFoundError)) throw error;
        }),
    );
    await Promise.all([...creates, storage.deleteFlag('real')]);
    expect(await storage.getScheduledChanges(undefined, false)).toEqual([]);
    expect(await storage.getTimeSchedules()).toEqual([]);
    expect((await keysUnder(redis, prefix)).filter((key) => key.includes(flag.id))).toEqual([]);
  });

  describe('flags litestar-flags wrote (not in the id index)', () => {
    const id = '0b9f7c1e-3c51-4f0e-9a55-1d2b3c4d5e6f';
    const pythonDocument = (flagId: string) =>
      '{"id": "' +
      flagId +
      '", "key": "py-flag", "name": "From Python", "description": null, ' +
      '"flag_type": "string", "status": "inactive", "default_enabled": false, ' +
      '"default_value": "old", "tags": [], "metadata": {}, "rules": [], "variants": [], ' +
      '"created_at": "2025-03-01T12:00:00.123456+00:00", ' +
      '"updated_at": "2025-03-02T08:30:00.000001+00:00"}';

    beforeEach(async () => {
      await redis.set(`${prefix}flag:py-flag`, pythonDocument(id));
      await redis.sadd(`${prefix}flags`, 'py-flag');
    });

    it('finds the flag by id, indexes it, and applies a change to it', async () => {
      const change = await storage.createScheduledChange({
        flagId: id,
        changeType: 'update_value',
        scheduledAt: new Date(Date.now() - 1000),
        newValue: 'new',
      });
      expect(await redis.hget(`${prefix}flag_ids`, id)).toBe('py-flag');

      const now = new Date();
      const applied = await storage.applyScheduledChange(change.id, now);
      expect(applied).toMatchObject({ id, defaultValue: 'new', version: 1, updatedAt: now });
      const stored = await document('flag:py-flag');
      expect(stored).toMatchObject({
        default_value: 'new',
        version: 1,
        // Kept as litestar-flags wrote it, microseconds included.
        created_at: '2025-03-01T12:00:00.123456+00:00',
      });
      expect(await storage.getFlag('py-flag')).toEqual(applied);
    });

    it('no longer finds an id litestar-flags deleted, even when the index still names it', async () => {
      await storage.createTimeSchedule({
        flagId: id,
        name: 'n',
        recurrenceType: 'daily',
        startTime: '01:00',
        endTime: '02:00',
      });
      // litestar-flags recreates the flag under the same key, with a new id.
      const newId = '1b9f7c1e-3c51-4f0e-9a55-1d2b3c4d5e6f';
      await redis.set(`${prefix}flag:py-flag`, pythonDocument(newId));
      await expect(
        storage.createScheduledChange({ flagId: id, changeType: 'enable', scheduledAt: later }),
      ).rejects.toBeInstanceOf(ReferenceNotFoundError);
      expect(await redis.hgetall(`${prefix}flag_ids`)).toEqual({ [newId]: 'py-flag' });
      await storage.createScheduledChange({
        flagId: newId,
        changeType: 'enable',
        scheduledAt: later,
      });
    });
  });

  it('applies each of 50 changes exactly once across 3 instances racing for them', async () => {
    const flag = await storage.createFlag({ key: 'raced', flagType: 'number', defaultValue: 0 });
    const due = new Date(Date.now() - 1000);
    const changes: ScheduledFlagChange[] = [];
    for (let i = 1; i <= 50; i++) {
      changes.push(
        await storage.createScheduledChange({
          flagId: flag.id,
          changeType: 'update_value',
          scheduledAt: due,
          newValue: i,
        }),
      );
    }
    const applied: unknown[] = [];
    await instances(3, async (instance) => {
      // Each instance walks the due list from another starting point, as schedulers would.
      const order = [...changes].sort(() => Math.random() - 0.5);
      const results = await Promise.all(
        order.map((change) => instance.applyScheduledChange(change.id, new Date())),
      );
      applied.push(...results.filter((result) => result !== null));
    });
    expect(applied).toHaveLength(50);
    expect((await storage.getFlag('raced'))?.version).toBe(51);
    expect(await storage.getScheduledChanges(flag.id)).toEqual([]);
    const executed = await storage.getScheduledChanges(flag.id, false);
    expect(executed.every((change) => change.executed && change.executedAt !== null)).toBe(true);
    expect(await redis.zcard(`${prefix}scheduled_changes_pending`)).toBe(0);
  });

  it('does not apply a change cancelled between its read and its write', async () => {
    const flag = await storage.createFlag({ key: 'cancelled' });
    const change = await storage.createScheduledChange({
      flagId: flag.id,
      changeType: 'enable',
      scheduledAt: new Date(Date.now() - 1000),
    });
    const key = `${prefix}scheduled_change:${change.id}`;
    const cancelled = JSON.stringify({
      ...(JSON.parse((await redis.get(key))!) as object),
      executed: true,
      executed_at: new Date().toISOString(),
    });
    let cancel: (() => void) | undefined = () => void redis.set(key, cancelled);
    // Another instance cancels the change after this one read it. Queued on the same connection
    // before the write is sent, the cancellation reaches Redis first.
    class Interleaved extends RedisFeatureFlagStorage {
      protected override nextFlagVersion(
        ...args: Parameters<RedisFeatureFlagStorage['nextFlagVersion']>
      ) {
        cancel?.();
        cancel = undefined;
        return super.nextFlagVersion(...args);
      }
    }
    const instance = new Interleaved(redis, { prefix });
    expect(await instance.applyScheduledChange(change.id, new Date())).toBeNull();
    expect(await storage.getFlag('cancelled')).toEqual(flag);
    expect(await redis.get(key)).toBe(cancelled);
  });

  it('never loses a flag edit made while changes are applied', async () => {
    const flag = await storage.createFlag({ key: 'edited', rules: [{ rolloutPercentage: 0 }] });
    const phases: RolloutPhase[] = [];
    for (let i = 1; i <= 10; i++) {
      phases.push(
        await storage.createRolloutPhase({
          flagId: flag.id,
          phaseNumber: i,
          targetPercentage: i * 10,
          scheduledAt: new Date(Date.now() - 1000),
        }),
      );
    }
    await Promise.all([
      ...phases.map((phase) => storage.applyRolloutPhase(phase.id, new Date())),
      ...Array.from({ length: 10 }, (_, i) =>
        modifyFlag(storage, 'edited', (read) => ({ ...read, tags: [...read.tags, `t${i}`] })),
      ),
    ]);
    const final = (await storage.getFlag('edited'))!;
    expect(final.version).toBe(21);
    expect([...final.tags].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`).sort());
    expect((await storage.getRolloutPhases(flag.id)).every((phase) => phase.executed)).toBe(true);
  });
});
