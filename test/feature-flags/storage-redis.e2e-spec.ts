import Redis from 'ioredis';
import {
  FeatureFlagClient,
  FlagVersionConflictError,
  LocalCacheFeatureFlagStorage,
  modifyFlag,
  RedisFeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import { startRedisServer, testUrls, uniqueName, type ServerHandle } from '../harness/servers';
import { keysUnder } from './support/redis-keys';

describe('RedisFeatureFlagStorage', () => {
  let redis: Redis;
  let prefix: string;
  let storage: RedisFeatureFlagStorage;

  beforeAll(() => {
    redis = new Redis(testUrls().redis);
  });

  beforeEach(() => {
    prefix = uniqueName('ffi:') + ':';
    storage = new RedisFeatureFlagStorage(redis, { prefix });
  });

  afterAll(async () => {
    await redis.quit();
  });

  describe('key layout shared with litestar-flags', () => {
    it('writes the flag document, the flag index and override documents exactly as specified', async () => {
      const flag = await storage.createFlag({
        key: 'new_checkout',
        name: 'New checkout',
        flagType: 'string',
        defaultEnabled: true,
        defaultValue: 'classic',
        tags: ['checkout'],
        metadata: { owner: 'payments' },
        rules: [
          {
            name: 'de',
            conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
            serveValue: 'new',
            rolloutPercentage: 50,
          },
        ],
        variants: [{ key: 'blue', value: 'b', weight: 100 }],
      });
      expect(JSON.parse((await redis.get(`${prefix}flag:new_checkout`))!)).toEqual({
        id: flag.id,
        key: 'new_checkout',
        name: 'New checkout',
        description: null,
        flag_type: 'string',
        status: 'active',
        default_enabled: true,
        default_value: 'classic',
        tags: ['checkout'],
        metadata: { owner: 'payments' },
        rules: [
          {
            id: flag.rules[0].id,
            name: 'de',
            description: null,
            priority: 0,
            enabled: true,
            conditions: [{ attribute: 'country', operator: 'eq', value: 'DE' }],
            serve_enabled: true,
            serve_value: 'new',
            rollout_percentage: 50,
          },
        ],
        variants: [
          {
            id: flag.variants[0].id,
            key: 'blue',
            name: 'blue',
            description: null,
            value: 'b',
            weight: 100,
          },
        ],
        created_at: flag.createdAt.toISOString(),
        updated_at: flag.updatedAt.toISOString(),
        // Ours: litestar-flags ignores it.
        version: 1,
      });
      expect(await redis.smembers(`${prefix}flags`)).toEqual(['new_checkout']);

      const expiresAt = new Date(Date.now() + 3_600_000);
      const temporary = await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u-1',
        value: 'vip',
        expiresAt,
      });
      await storage.createOverride({ flagId: flag.id, entityType: 'tenant', entityId: 't:1' });
      const overrideKey = `${prefix}override:${flag.id}:user:u-1`;
      expect(JSON.parse((await redis.get(overrideKey))!)).toEqual({
        id: temporary.id,
        flag_id: flag.id,
        entity_type: 'user',
        entity_id: 'u-1',
        enabled: true,
        value: 'vip',
        expires_at: expiresAt.toISOString(),
        created_at: temporary.createdAt.toISOString(),
        updated_at: temporary.updatedAt.toISOString(),
      });
      const ttl = await redis.pttl(overrideKey);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      expect(await redis.pttl(`${prefix}override:${flag.id}:tenant:t:1`)).toBe(-1);

      expect(await keysUnder(redis, prefix)).toEqual(
        [
          `${prefix}flag:new_checkout`,
          `${prefix}flag_ids`,
          `${prefix}flag_overrides:${flag.id}`,
          `${prefix}flags`,
          `${prefix}override:${flag.id}:tenant:t:1`,
          overrideKey,
        ].sort(),
      );
    });

    it('reads flags and overrides a Python litestar-flags service wrote', async () => {
      const id = '0b9f7c1e-3c51-4f0e-9a55-1d2b3c4d5e6f';
      // json.dumps output: spaces after separators, isoformat() timestamps with microseconds.
      await redis.set(
        `${prefix}flag:py-flag`,
        '{"id": "' +
          id +
          '", "key": "py-flag", "name": "From Python", "description": null, ' +
          '"flag_type": "boolean", "status": "active", "default_enabled": false, ' +
          '"default_value": null, "tags": [], "metadata": {}, "rules": [{"id": ' +
          '"1c9f7c1e-3c51-4f0e-9a55-1d2b3c4d5e6f", "name": "beta", "description": null, ' +
          '"priority": 0, "enabled": true, "conditions": [{"attribute": "plan", "operator": ' +
          '"eq", "value": "beta"}], "serve_enabled": true, "serve_value": null, ' +
          '"rollout_percentage": null}], "variants": [], ' +
          '"created_at": "2025-03-01T12:00:00.123456+00:00", ' +
          '"updated_at": "2025-03-02T08:30:00.000001+00:00"}',
      );
      await redis.sadd(`${prefix}flags`, 'py-flag');
      await redis.set(
        `${prefix}override:${id}:user:alice`,
        '{"id": "2c9f7c1e-3c51-4f0e-9a55-1d2b3c4d5e6f", "flag_id": "' +
          id +
          '", "entity_type": "user", "entity_id": "alice", "enabled": true, "value": null, ' +
          '"expires_at": null, "created_at": "2025-03-01T12:00:00+00:00", ' +
          '"updated_at": "2025-03-01T12:00:00+00:00"}',
      );

      const flag = await storage.getFlag('py-flag');
      expect(flag).toMatchObject({ id, name: 'From Python', status: 'active' });
      expect(flag?.createdAt).toEqual(new Date('2025-03-01T12:00:00.123Z'));
      expect(flag?.rules[0]).toMatchObject({ name: 'beta', serveEnabled: true });
      expect((await storage.getAllActiveFlags()).map((active) => active.key)).toEqual(['py-flag']);

      const client = new FeatureFlagClient({ storage, logger: false });
      expect(
        await client.getBooleanDetails('py-flag', false, { attributes: { plan: 'beta' } }),
      ).toMatchObject({
        value: true,
        reason: 'TARGETING_MATCH',
      });
      expect(await client.getBooleanDetails('py-flag', false, { userId: 'alice' })).toMatchObject({
        value: true,
        reason: 'OVERRIDE',
      });
      expect(await client.isEnabled('py-flag', { userId: 'bob' })).toBe(false);
    });
  });

  describe('updates of documents litestar-flags wrote (no version)', () => {
    const pythonDocument = (updatedAt: string, name = 'From Python') =>
      '{"id": "0b9f7c1e-3c51-4f0e-9a55-1d2b3c4d5e6f", "key": "py-edit", "name": "' +
      name +
      '", "description": null, "flag_type": "boolean", "status": "active", ' +
      '"default_enabled": false, "default_value": null, "tags": [], "metadata": {}, ' +
      '"rules": [], "variants": [], "created_at": "2025-03-01T12:00:00.123456+00:00", ' +
      `"updated_at": "${updatedAt}"}`;

    beforeEach(async () => {
      await redis.set(`${prefix}flag:py-edit`, pythonDocument('2025-03-02T08:30:00.000001+00:00'));
      await redis.sadd(`${prefix}flags`, 'py-edit');
    });

    it('reads as version 0 and takes a compare-and-set update, which starts versioning', async () => {
      const read = (await storage.getFlag('py-edit'))!;
      expect(read.version).toBe(0);
      const updated = await storage.updateFlag({ ...read, name: 'Edited in Node' });
      expect(updated).toMatchObject({ version: 1, name: 'Edited in Node', id: read.id });
      const stored = JSON.parse((await redis.get(`${prefix}flag:py-edit`))!);
      expect(stored).toMatchObject({ version: 1, name: 'Edited in Node' });
      await expect(storage.updateFlag({ ...read, name: 'stale' })).rejects.toBeInstanceOf(
        FlagVersionConflictError,
      );
      expect((await storage.getFlag('py-edit'))?.name).toBe('Edited in Node');
    });

    it('refuses an update based on a read older than a litestar-flags write', async () => {
      const read = (await storage.getFlag('py-edit'))!;
      // litestar-flags rewrites the document (a microsecond timestamp, no version) meanwhile.
      await redis.set(
        `${prefix}flag:py-edit`,
        pythonDocument('2025-03-02T08:30:01.500002+00:00', 'Edited in Python'),
      );
      const error = await storage
        .updateFlag({ ...read, name: 'lost?' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FlagVersionConflictError);
      expect(error).toMatchObject({ key: 'py-edit', expected: 0, actual: 0 });
      expect((await storage.getFlag('py-edit'))?.name).toBe('Edited in Python');

      // modifyFlag reads again and wins; the Python edit is kept.
      const edited = await modifyFlag(storage, 'py-edit', (flag) => ({
        ...flag,
        tags: ['node'],
      }));
      expect(edited).toMatchObject({ name: 'Edited in Python', tags: ['node'], version: 1 });
    });

    it('leaves a document it does not change byte for byte as litestar-flags wrote it', async () => {
      const before = await redis.get(`${prefix}flag:py-edit`);
      const read = (await storage.getFlag('py-edit'))!;
      await expect(storage.updateFlag({ ...read, updatedAt: new Date(0) })).rejects.toBeInstanceOf(
        FlagVersionConflictError,
      );
      expect(await redis.get(`${prefix}flag:py-edit`)).toBe(before);
    });
  });

  it('removes every override key of a deleted flag, and nothing else', async () => {
    const flag = await storage.createFlag({ key: 'doomed' });
    const other = await storage.createFlag({ key: 'kept' });
    for (let i = 0; i < 25; i++) {
      await storage.createOverride({ flagId: flag.id, entityType: 'user', entityId: `u${i}` });
    }
    await storage.createOverride({ flagId: other.id, entityType: 'user', entityId: 'u1' });
    expect(await storage.deleteFlag('doomed')).toBe(true);
    expect(await keysUnder(redis, prefix)).toEqual(
      [
        `${prefix}flag:kept`,
        `${prefix}flag_ids`,
        `${prefix}flag_overrides:${other.id}`,
        `${prefix}flags`,
        `${prefix}override:${other.id}:user:u1`,
      ].sort(),
    );
  });

  it('forgets expired overrides in its per-flag index as new ones are written', async () => {
    const flag = await storage.createFlag({ key: 'pruned' });
    await storage.createOverride({
      flagId: flag.id,
      entityType: 'user',
      entityId: 'gone',
      expiresAt: new Date(Date.now() - 1000),
    });
    await storage.createOverride({ flagId: flag.id, entityType: 'user', entityId: 'stays' });
    expect(await redis.zrange(`${prefix}flag_overrides:${flag.id}`, 0, -1)).toEqual([
      `${prefix}override:${flag.id}:user:stays`,
    ]);
  });

  it('names the flags with overrides, litestar-written ones too, while its database is small', async () => {
    // A database of its own: the answer depends on how many keys the whole database holds.
    const own = new Redis(testUrls().redis, { db: 6 });
    try {
      await own.flushdb();
      const small = new RedisFeatureFlagStorage(own, { prefix });
      const ours = await small.createFlag({ key: 'ours' });
      const theirs = await small.createFlag({ key: 'theirs' });
      const plain = await small.createFlag({ key: 'plain' });
      await small.createOverride({ flagId: ours.id, entityType: 'user', entityId: 'a:b' });
      // What litestar-flags' create_override leaves: the key only, in no index of ours.
      await own.set(`${prefix}override:${theirs.id}:tenant:t1`, '{}');
      const ids = await small.getOverriddenFlagIds();
      expect(ids).toEqual(expect.arrayContaining([ours.id, theirs.id]));
      expect(ids).not.toContain(plain.id);

      // Above 10,000 keys it does not scan: "cannot tell", and the cache looks entities up.
      const filler = Array.from({ length: 10_000 }, (_, i) => [`filler:${i}`, '1']).flat();
      await own.mset(...filler);
      expect(await small.getOverriddenFlagIds()).toBeNull();
    } finally {
      await own.flushdb();
      own.disconnect();
    }
  });

  it('evaluates through a local cache, and deletes flags, for a user whose ACL refuses SCAN and DBSIZE', async () => {
    const user = uniqueName('noscan');
    await redis.acl('SETUSER', user, 'on', '>pw-noscan', '~*', '&*', '+@all', '-scan', '-dbsize');
    const limited = new Redis(testUrls().redis, { username: user, password: 'pw-noscan' });
    try {
      const own = new RedisFeatureFlagStorage(limited, { prefix });
      expect(await own.getOverriddenFlagIds()).toBeNull();
      const flag = await own.createFlag({ key: 'acl', defaultEnabled: true });
      await own.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u1',
        enabled: false,
      });
      const cached = new LocalCacheFeatureFlagStorage(own, { ttl: 60 });
      const client = new FeatureFlagClient({ storage: cached, logger: false });
      expect(await client.isEnabled('acl', { userId: 'u1' })).toBe(false);
      expect(await client.isEnabled('acl', { userId: 'u2' })).toBe(true);
      expect(await own.deleteFlag('acl')).toBe(true);
    } finally {
      limited.disconnect();
      await redis.acl('DELUSER', user);
    }
  });

  it('never closes a client it was given', async () => {
    await storage.close();
    expect(await storage.healthCheck()).toBe(false);
    expect(await redis.ping()).toBe('PONG');
  });
});

describe('RedisFeatureFlagStorage.create', () => {
  let secured: ServerHandle;

  beforeAll(async () => {
    secured = await startRedisServer({ password: 'p@ss:w0rd/!' });
  });

  afterAll(async () => {
    await secured.close();
  });

  async function roundTrip(storage: RedisFeatureFlagStorage): Promise<void> {
    try {
      const key = uniqueName('url-');
      await storage.createFlag({ key, defaultEnabled: true });
      expect((await storage.getFlag(key))?.defaultEnabled).toBe(true);
      expect(await storage.healthCheck()).toBe(true);
    } finally {
      await storage.close();
    }
    expect(await storage.healthCheck()).toBe(false);
  }

  it('connects with a password and a db number from the URL', async () => {
    const url = secured.url.replace(/\/0$/, '/3');
    const prefix = uniqueName('pw:') + ':';
    await roundTrip(await RedisFeatureFlagStorage.create({ url, prefix }));

    const raw = new Redis(url);
    try {
      expect(await raw.scard(`${prefix}flags`)).toBe(1);
      await raw.select(0);
      expect(await raw.exists(`${prefix}flags`)).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  it('connects through Redis Sentinel', async () => {
    await roundTrip(
      await RedisFeatureFlagStorage.create({
        url: testUrls().redisSentinel,
        prefix: uniqueName('sentinel:') + ':',
      }),
    );
  });

  it('fails without echoing the password when it is wrong', async () => {
    const url = secured.url.replace(encodeURIComponent('p@ss:w0rd/!'), 'wrong-s3cret');
    const error = await RedisFeatureFlagStorage.create({ url }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('wrong-s3cret');
  });
});
