import {
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  EnvironmentNotFoundError,
  FeatureFlagClient,
  InvalidFlagError,
  LocalCacheFeatureFlagStorage,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  ScheduledChangeNotFoundError,
  type CreateFlagInput,
  type FeatureFlag,
  type ScheduledFlagChange,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { uniqueName } from '../harness/servers';
import { BACKENDS, type Backend } from './fixtures/storage-backends/backends';

/**
 * The rest of the storage protocol (environments, scheduled changes, rollout phases, time
 * schedules), run unchanged against every backend on real servers, on the storage itself and
 * through the local cache: both must answer alike.
 */
const VARIANTS = BACKENDS.flatMap((backend) => [
  { ...backend, label: backend.name, cached: false },
  { ...backend, label: `${backend.name} (local cache)`, cached: true },
]);

describe.each(VARIANTS)('FeatureFlagStorage protocol on $label', (variant) => {
  let inner: FeatureFlagStorage;
  let storage: FeatureFlagStorage;
  /** The evaluation clock (ms), moved by the time-schedule tests. */
  let now = Date.now();
  let client: FeatureFlagClient;

  beforeAll(async () => {
    inner = await (variant as Backend).create();
    storage = variant.cached ? new LocalCacheFeatureFlagStorage(inner, { ttl: 60 }) : inner;
    client = new FeatureFlagClient({ storage, logger: false, now: () => now });
  });

  afterAll(async () => {
    await storage.close();
    // The local cache leaves the storage it wraps open: whoever created that closes it.
    if (storage !== inner) await inner.close();
  });

  afterEach(() => {
    now = Date.now();
  });

  const newFlag = (extra: Omit<Partial<CreateFlagInput>, 'key'> = {}) =>
    storage.createFlag({ key: uniqueName('flag-'), defaultEnabled: false, ...extra });
  const newEnvironment = (extra: { parentId?: string | null; isActive?: boolean } = {}) => {
    const slug = uniqueName('env-');
    return storage.createEnvironment!({ name: `Env ${slug}`, slug, ...extra });
  };

  describe('environments', () => {
    it('creates an environment and reads it back by slug, by id and in the full list', async () => {
      const created = await storage.createEnvironment!({
        name: 'Production',
        slug: uniqueName('prod-'),
        description: 'the real thing',
        settings: { region: 'eu-west-1', replicas: 3, nested: { on: true } },
      });
      expect(created).toMatchObject({ isActive: true, parentId: null });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await storage.getEnvironment!(created.slug)).toEqual(created);
      expect(await storage.getEnvironmentById!(created.id)).toEqual(created);
      const all = await storage.getAllEnvironments!();
      expect(all).toContainEqual(created);
      const slugs = all.map((environment) => environment.slug);
      expect(slugs).toEqual([...slugs].sort());
    });

    it('refuses a second environment with the same slug, even when created at once', async () => {
      const slug = uniqueName('dup-');
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => storage.createEnvironment!({ name: 'Dup', slug })),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(EnvironmentAlreadyExistsError);
        }
      }
    });

    it('refuses invalid input with InvalidFlagError and answers null for impossible slugs', async () => {
      await expect(storage.createEnvironment!({ name: 'x', slug: 'Has Space' })).rejects.toThrow(
        InvalidFlagError,
      );
      await expect(
        storage.createEnvironment!({ name: '', slug: uniqueName('e-') }),
      ).rejects.toThrow(InvalidFlagError);
      expect(await storage.getEnvironment!('no\u0000pe')).toBeNull();
      expect(await storage.getEnvironment!('x'.repeat(500))).toBeNull();
      expect(await storage.getEnvironmentById!('missing')).toBeNull();
      expect(await storage.deleteEnvironment!('missing-env')).toBe(false);
    });

    it('updates by id (slug may change), keeping createdAt; a taken slug is refused', async () => {
      const environment = await newEnvironment();
      const other = await newEnvironment();
      const renamed = uniqueName('renamed-');
      const updated = await storage.updateEnvironment!({
        ...environment,
        slug: renamed,
        isActive: false,
      });
      expect(updated).toMatchObject({ id: environment.id, slug: renamed, isActive: false });
      expect(updated.createdAt).toEqual(environment.createdAt);
      expect(await storage.getEnvironment!(environment.slug)).toBeNull();
      expect(await storage.getEnvironment!(renamed)).toEqual(updated);
      await expect(storage.updateEnvironment!({ ...updated, slug: other.slug })).rejects.toThrow(
        EnvironmentAlreadyExistsError,
      );
      await expect(
        storage.updateEnvironment!({ ...updated, id: 'no-such-environment' }),
      ).rejects.toThrow(EnvironmentNotFoundError);
    });

    it('lists children by parent id', async () => {
      const parent = await newEnvironment();
      const a = await newEnvironment({ parentId: parent.id });
      const b = await newEnvironment({ parentId: parent.id });
      const children = await storage.getChildEnvironments!(parent.id);
      expect(children.map((child) => child.id).sort()).toEqual([a.id, b.id].sort());
    });

    it('stores per-environment flag settings, one per pair, and lists them both ways', async () => {
      const flag = await newFlag();
      const environment = await newEnvironment();
      const settings = await storage.createEnvironmentFlag!({
        environmentId: environment.id,
        flagId: flag.id,
        enabled: true,
        percentage: 25,
        rules: [
          { name: 'beta', conditions: [{ attribute: 'plan', operator: 'eq', value: 'beta' }] },
        ],
      });
      expect(settings).toMatchObject({ enabled: true, percentage: 25, variants: null });
      expect(settings.rules![0]).toMatchObject({ name: 'beta', rolloutPercentage: null });
      expect(await storage.getEnvironmentFlag!(environment.id, flag.id)).toEqual(settings);
      expect(await storage.getEnvironmentFlags!(environment.id)).toEqual([settings]);
      expect(await storage.getFlagEnvironments!(flag.id)).toEqual([settings]);
      await expect(
        storage.createEnvironmentFlag!({ environmentId: environment.id, flagId: flag.id }),
      ).rejects.toThrow(EnvironmentFlagAlreadyExistsError);

      const updated = await storage.updateEnvironmentFlag!({
        environmentId: environment.id,
        flagId: flag.id,
        enabled: null,
        percentage: null,
        rules: null,
        variants: [{ key: 'a', value: 'A', weight: 100 }],
      });
      expect(updated).toMatchObject({ id: settings.id, enabled: null, rules: null });
      expect(updated.createdAt).toEqual(settings.createdAt);
      expect(await storage.getEnvironmentFlag!(environment.id, flag.id)).toEqual(updated);

      expect(await storage.deleteEnvironmentFlag!(environment.id, flag.id)).toBe(true);
      expect(await storage.deleteEnvironmentFlag!(environment.id, flag.id)).toBe(false);
      expect(await storage.getEnvironmentFlag!(environment.id, flag.id)).toBeNull();
      await expect(
        storage.updateEnvironmentFlag!({ environmentId: environment.id, flagId: flag.id }),
      ).rejects.toThrow(EnvironmentFlagNotFoundError);
    });

    it('refuses settings for a flag or environment that does not exist', async () => {
      const flag = await newFlag();
      const environment = await newEnvironment();
      await expect(
        storage.createEnvironmentFlag!({ environmentId: environment.id, flagId: 'no-such-flag' }),
      ).rejects.toThrow(ReferenceNotFoundError);
      await expect(
        storage.createEnvironmentFlag!({ environmentId: 'no-such-env', flagId: flag.id }),
      ).rejects.toThrow(ReferenceNotFoundError);
    });

    it('deleting an environment deletes its settings; deleting a flag deletes its settings', async () => {
      const flag = await newFlag();
      const other = await newFlag();
      const environment = await newEnvironment();
      await storage.createEnvironmentFlag!({ environmentId: environment.id, flagId: flag.id });
      await storage.createEnvironmentFlag!({ environmentId: environment.id, flagId: other.id });
      expect(await storage.deleteFlag(other.key)).toBe(true);
      expect(await storage.getFlagEnvironments!(other.id)).toEqual([]);
      expect((await storage.getEnvironmentFlags!(environment.id)).map((s) => s.flagId)).toEqual([
        flag.id,
      ]);
      expect(await storage.deleteEnvironment!(environment.slug)).toBe(true);
      expect(await storage.getEnvironment!(environment.slug)).toBeNull();
      expect(await storage.getFlagEnvironments!(flag.id)).toEqual([]);
    });
  });

  describe('evaluation in an environment', () => {
    it('takes each field from the nearest environment that sets it, else from the flag', async () => {
      const flag = await newFlag({
        flagType: 'string',
        defaultEnabled: true,
        defaultValue: 'base',
        rules: [{ name: 'everyone', conditions: [], serveValue: 'rule', rolloutPercentage: 100 }],
      });
      const production = await newEnvironment();
      const canary = await newEnvironment({ parentId: production.id });
      const staging = await newEnvironment();
      // production: rules off for everyone (0 %); canary inherits that and adds nothing.
      await storage.createEnvironmentFlag!({
        environmentId: production.id,
        flagId: flag.id,
        percentage: 0,
      });
      await storage.createEnvironmentFlag!({
        environmentId: staging.id,
        flagId: flag.id,
        enabled: false,
      });
      const value = (environment?: string) =>
        client.getStringDetails(flag.key, 'caller', { targetingKey: 'u-1', environment });

      expect(await value()).toMatchObject({ value: 'rule', reason: 'TARGETING_MATCH' });
      expect(await value(production.slug)).toMatchObject({ value: 'base', reason: 'STATIC' });
      expect(await value(canary.slug)).toMatchObject({ value: 'base', reason: 'STATIC' });
      expect(await value(staging.slug)).toMatchObject({ reason: 'DISABLED' });
      expect(await value('no-such-environment')).toMatchObject({ value: 'rule' });

      // canary sets its own percentage: nearest wins.
      await storage.createEnvironmentFlag!({
        environmentId: canary.id,
        flagId: flag.id,
        percentage: 100,
      });
      expect(await value(canary.slug)).toMatchObject({ value: 'rule' });
      expect(await value(production.slug)).toMatchObject({ value: 'base' });

      // An inactive environment is skipped: its parent's settings still apply.
      await storage.updateEnvironment!({ ...canary, isActive: false });
      expect(await value(canary.slug)).toMatchObject({ value: 'base' });

      const all = await client.getAllFlags({ targetingKey: 'u-1', environment: staging.slug });
      expect(all[flag.key]).toMatchObject({ reason: 'DISABLED' });
      const some = await client.getFlags([flag.key], { environment: production.slug });
      expect(some[flag.key]).toMatchObject({ value: 'base' });
    });

    it('enables an inactive flag where an environment says so, and replaces its rules', async () => {
      const flag = await newFlag({ status: 'inactive' });
      const development = await newEnvironment();
      await storage.createEnvironmentFlag!({
        environmentId: development.id,
        flagId: flag.id,
        enabled: true,
        rules: [
          {
            name: 'staff',
            conditions: [{ attribute: 'email', operator: 'ends_with', value: '@acme.test' }],
            serveEnabled: false,
          },
        ],
      });
      const staff = { attributes: { email: 'x@acme.test' } };
      expect(await client.getBooleanDetails(flag.key, true, staff)).toMatchObject({
        reason: 'DISABLED',
      });
      expect(
        await client.getBooleanDetails(flag.key, false, {
          ...staff,
          environment: development.slug,
        }),
      ).toMatchObject({ value: false, reason: 'TARGETING_MATCH', variant: 'staff' });
      expect(
        await client.getBooleanDetails(flag.key, false, { environment: development.slug }),
      ).toMatchObject({ value: true, reason: 'STATIC' });
    });
  });

  describe('scheduled changes', () => {
    it('creates, lists pending ones in due order, updates and deletes', async () => {
      const flag = await newFlag();
      const later = await storage.createScheduledChange!({
        flagId: flag.id,
        changeType: 'enable',
        scheduledAt: new Date(Date.now() + 3_600_000),
        createdBy: 'ops@acme.test',
      });
      const sooner = await storage.createScheduledChange!({
        flagId: flag.id,
        changeType: 'update_rollout',
        newRolloutPercentage: 50,
        scheduledAt: new Date(Date.now() + 60_000),
      });
      expect(later).toMatchObject({
        executed: false,
        executedAt: null,
        createdBy: 'ops@acme.test',
      });
      expect(await storage.getScheduledChanges!(flag.id)).toEqual([sooner, later]);

      const cancelled = await storage.updateScheduledChange!({ ...later, executed: true });
      expect(cancelled.executed).toBe(true);
      expect(await storage.getScheduledChanges!(flag.id)).toEqual([sooner]);
      expect(await storage.getScheduledChanges!(flag.id, false)).toEqual([sooner, cancelled]);
      expect((await storage.getFlag(flag.key))!.defaultEnabled).toBe(false);

      expect(await storage.deleteScheduledChange!(sooner.id)).toBe(true);
      expect(await storage.deleteScheduledChange!(sooner.id)).toBe(false);
      await expect(
        storage.updateScheduledChange!({ ...sooner, id: 'no-such-change' }),
      ).rejects.toThrow(ScheduledChangeNotFoundError);
      await expect(
        storage.createScheduledChange!({
          flagId: 'no-such-flag',
          changeType: 'enable',
          scheduledAt: new Date(),
        }),
      ).rejects.toThrow(ReferenceNotFoundError);
      await expect(
        storage.createScheduledChange!({
          flagId: flag.id,
          changeType: 'explode' as 'enable',
          scheduledAt: new Date(),
        }),
      ).rejects.toThrow(InvalidFlagError);
      // Beyond what MySQL's DATETIME holds: refused alike everywhere, never rewritten.
      for (const scheduledAt of [
        new Date('+010000-01-01T00:00:00Z'),
        new Date('0001-01-01T00:00:00Z'),
      ]) {
        await expect(
          storage.createScheduledChange!({ flagId: flag.id, changeType: 'enable', scheduledAt }),
        ).rejects.toThrow(InvalidFlagError);
      }
    });

    it('applies a change once: the flag changes, the change is marked, a second call does nothing', async () => {
      const flag = await newFlag({
        status: 'inactive',
        rules: [{ name: 'slow', conditions: [], rolloutPercentage: 5 }],
      });
      const enable = await storage.createScheduledChange!({
        flagId: flag.id,
        changeType: 'enable',
        scheduledAt: new Date(Date.now() - 1000),
      });
      const rollout = await storage.createScheduledChange!({
        flagId: flag.id,
        changeType: 'update_rollout',
        newRolloutPercentage: 60,
        scheduledAt: new Date(Date.now() - 500),
      });
      expect(await client.isEnabled(flag.key, { targetingKey: 'u-1' })).toBe(false);
      const at = new Date();
      const applied = await storage.applyScheduledChange!(enable.id, at);
      expect(applied).toMatchObject({ status: 'active', defaultEnabled: true, version: 2 });
      expect(await storage.applyScheduledChange!(enable.id, at)).toBeNull();
      expect(await storage.getFlag(flag.key)).toEqual(applied);
      const [marked] = (await storage.getScheduledChanges!(flag.id, false)).filter(
        (change) => change.id === enable.id,
      );
      expect(marked).toMatchObject({ executed: true });
      expect(marked.executedAt!.getTime()).toBe(at.getTime());
      // Visible to evaluation at once, through the cache too.
      expect(await client.isEnabled(flag.key, { targetingKey: 'u-1' })).toBe(true);

      const rolled = await storage.applyScheduledChange!(rollout.id, new Date());
      expect(rolled!.rules[0].rolloutPercentage).toBe(60);
      expect(rolled!.version).toBe(3);
      expect(await storage.getScheduledChanges!(flag.id)).toEqual([]);
      expect(await storage.applyScheduledChange!('no-such-change', new Date())).toBeNull();
    });

    it('applies each of many changes exactly once when callers race', async () => {
      const flag = await newFlag({ flagType: 'number', defaultValue: 0 });
      const changes: ScheduledFlagChange[] = [];
      for (let i = 1; i <= 10; i++) {
        changes.push(
          await storage.createScheduledChange!({
            flagId: flag.id,
            changeType: 'update_value',
            newValue: i,
            scheduledAt: new Date(Date.now() - 10_000 + i),
          }),
        );
      }
      // Three callers, each through the changes in order (as schedulers do), racing on each.
      const perCaller = await Promise.all(
        [1, 2, 3].map(async () => {
          const applied: Array<FeatureFlag | null> = [];
          for (const change of changes) {
            applied.push(await storage.applyScheduledChange!(change.id, new Date()));
          }
          return applied;
        }),
      );
      const results = perCaller.flat();
      expect(results.filter((result) => result !== null)).toHaveLength(10);
      expect((await storage.getFlag(flag.key))!.version).toBe(11);
    });
  });

  describe('rollout phases', () => {
    it('lists phases by number, refuses a duplicate number, applies each once', async () => {
      const flag = await newFlag({
        rules: [
          { name: 'rollout', conditions: [], rolloutPercentage: 1 },
          { name: 'staff', conditions: [{ attribute: 'staff', operator: 'eq', value: true }] },
        ],
      });
      const second = await storage.createRolloutPhase!({
        flagId: flag.id,
        phaseNumber: 2,
        targetPercentage: 50,
        scheduledAt: new Date(Date.now() + 86_400_000),
      });
      const first = await storage.createRolloutPhase!({
        flagId: flag.id,
        phaseNumber: 1,
        targetPercentage: 10,
        scheduledAt: new Date(Date.now() - 1000),
      });
      expect(first).toMatchObject({ executed: false, executedAt: null });
      expect(await storage.getRolloutPhases!(flag.id)).toEqual([first, second]);
      await expect(
        storage.createRolloutPhase!({
          flagId: flag.id,
          phaseNumber: 2,
          targetPercentage: 99,
          scheduledAt: new Date(),
        }),
      ).rejects.toThrow(RolloutPhaseAlreadyExistsError);
      await expect(
        storage.createRolloutPhase!({
          flagId: 'no-such-flag',
          phaseNumber: 1,
          targetPercentage: 1,
          scheduledAt: new Date(),
        }),
      ).rejects.toThrow(ReferenceNotFoundError);

      const applied = await Promise.all(
        [1, 2, 3].map(() => storage.applyRolloutPhase!(first.id, new Date())),
      );
      expect(applied.filter((flagAfter) => flagAfter !== null)).toHaveLength(1);
      const stored = (await storage.getFlag(flag.key))!;
      // Only the rollout rule moves; the staff rule (no rollout) is left as it was.
      expect(stored.rules.map((rule) => rule.rolloutPercentage)).toEqual([10, null]);
      expect((await storage.getRolloutPhases!(flag.id))[0].executed).toBe(true);
      expect(await storage.deleteRolloutPhase!(second.id)).toBe(true);
      expect(await storage.getRolloutPhases!(flag.id)).toHaveLength(1);
    });
  });

  describe('time schedules', () => {
    it('creates, lists by flag and deletes', async () => {
      const flag = await newFlag();
      const weekdays = await storage.createTimeSchedule!({
        flagId: flag.id,
        name: 'weekdays',
        recurrenceType: 'weekly',
        startTime: '09:00',
        endTime: '17:30',
        daysOfWeek: [0, 1, 2, 3, 4],
        timezone: 'Europe/Berlin',
      });
      const nightly = await storage.createTimeSchedule!({
        flagId: flag.id,
        name: 'nightly',
        recurrenceType: 'cron',
        cronExpression: '* 1-3 * * *',
      });
      expect(weekdays).toMatchObject({ enabled: true, daysOfMonth: null, cronExpression: null });
      expect(nightly.timezone).toBe('UTC');
      expect(await storage.getTimeSchedules!(flag.id)).toEqual([nightly, weekdays]);
      expect(await storage.getTimeSchedules!()).toEqual(
        expect.arrayContaining([nightly, weekdays]),
      );
      await expect(
        storage.createTimeSchedule!({
          flagId: flag.id,
          name: 'bad',
          recurrenceType: 'cron',
          cronExpression: 'nope',
        }),
      ).rejects.toThrow(InvalidFlagError);
      await expect(
        storage.createTimeSchedule!({
          flagId: 'no-such-flag',
          name: 'x',
          recurrenceType: 'daily',
          startTime: '01:00',
          endTime: '02:00',
        }),
      ).rejects.toThrow(ReferenceNotFoundError);
      expect(await storage.deleteTimeSchedule!(nightly.id)).toBe(true);
      expect(await storage.deleteTimeSchedule!(nightly.id)).toBe(false);
      expect(await storage.getTimeSchedules!(flag.id)).toEqual([weekdays]);
    });

    it('gates evaluation: on inside a window, off (DISABLED) outside, across a DST change', async () => {
      const flag = await newFlag({ defaultEnabled: true });
      expect(await client.isEnabled(flag.key)).toBe(true);
      // 02:00–04:00 Berlin wall-clock time, every day.
      await storage.createTimeSchedule!({
        flagId: flag.id,
        name: 'maintenance window',
        recurrenceType: 'daily',
        startTime: '02:00',
        endTime: '04:00',
        timezone: 'Europe/Berlin',
      });
      const at = async (iso: string) => {
        now = Date.parse(iso);
        return client.getBooleanDetails(flag.key, true);
      };
      // Summer time ends on 2026-10-25 at 03:00 CEST (01:00 UTC): 02:00–03:00 happens twice.
      expect(await at('2026-10-24T23:59:00Z')).toMatchObject({ value: false, reason: 'DISABLED' });
      expect(await at('2026-10-25T00:00:00Z')).toMatchObject({ value: true, reason: 'STATIC' });
      expect(await at('2026-10-25T01:30:00Z')).toMatchObject({ value: true });
      expect(await at('2026-10-25T02:59:00Z')).toMatchObject({ value: true });
      expect(await at('2026-10-25T03:00:00Z')).toMatchObject({ value: false, reason: 'DISABLED' });
      // Summer time starts on 2026-03-29: 02:00 jumps to 03:00, so the window is one hour long.
      expect(await at('2026-03-29T00:59:00Z')).toMatchObject({ value: false });
      expect(await at('2026-03-29T01:00:00Z')).toMatchObject({ value: true });
      expect(await at('2026-03-29T01:59:00Z')).toMatchObject({ value: true });
      expect(await at('2026-03-29T02:00:00Z')).toMatchObject({ value: false });
    });

    it('deleting a flag deletes its schedules, changes and phases', async () => {
      const flag = await newFlag();
      await storage.createTimeSchedule!({
        flagId: flag.id,
        name: 'always',
        recurrenceType: 'daily',
        startTime: '00:00',
        endTime: '00:00',
      });
      await storage.createScheduledChange!({
        flagId: flag.id,
        changeType: 'disable',
        scheduledAt: new Date(),
      });
      await storage.createRolloutPhase!({
        flagId: flag.id,
        phaseNumber: 1,
        targetPercentage: 5,
        scheduledAt: new Date(),
      });
      expect(await storage.deleteFlag(flag.key)).toBe(true);
      expect(await storage.getTimeSchedules!(flag.id)).toEqual([]);
      expect(await storage.getScheduledChanges!(flag.id, false)).toEqual([]);
      expect(await storage.getRolloutPhases!(flag.id)).toEqual([]);
    });
  });
});
