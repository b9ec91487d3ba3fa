import { LuaScript } from '@gatekeeper/common';

/*
 * Key layout (the first three are litestar-flags', shared with Python services):
 *   {prefix}flag:{key}                                  JSON document of the flag, rules and variants embedded
 *   {prefix}flags                                       SET of all flag keys
 *   {prefix}override:{flag_id}:{entity_type}:{entity_id} JSON document, with a TTL when expires_at is set
 * The rest are ours (litestar-flags neither reads nor writes them):
 *   {prefix}flag_ids                                    HASH flag id → key, so that records naming a
 *                                                       flag by id find it (see FLAG_BY_ID)
 *   {prefix}flag_overrides:{flag_id}                    ZSET of the flag's override keys, scored by
 *                                                       expiry (ms, +inf for none), so deleteFlag finds
 *                                                       them without KEYS or SCAN; expired members are
 *                                                       pruned on every override write.
 *   {prefix}segment:{id}                                JSON document of a segment (snake_case)
 *   {prefix}segment_names                               HASH segment name → id (the unique index)
 *   {prefix}segments                                    SET of all segment ids
 *   {prefix}environment:{id}                            JSON document of an environment
 *   {prefix}environment_slugs                           HASH slug → environment id (the unique index)
 *   {prefix}environments                                SET of all environment ids
 *   {prefix}environment_flag:{environment_id}:{flag_id} JSON document of a flag's settings in an environment
 *   {prefix}environment_flags:{environment_id}          SET of the flag ids configured in the environment
 *   {prefix}flag_environments:{flag_id}                 SET of the environment ids configuring the flag
 *   {prefix}scheduled_change:{id}                       JSON document of a scheduled change
 *   {prefix}scheduled_changes                           SET of all scheduled change ids
 *   {prefix}scheduled_changes_pending                   ZSET of the pending ones, scored by scheduled_at (ms)
 *   {prefix}flag_scheduled_changes:{flag_id}            SET of the flag's scheduled change ids
 *   {prefix}rollout_phase:{id}                          JSON document of a rollout phase
 *   {prefix}rollout_phases                              SET of all rollout phase ids
 *   {prefix}flag_rollout_phases:{flag_id}               HASH phase_number → id (unique per flag)
 *   {prefix}time_schedule:{id}                          JSON document of a time schedule
 *   {prefix}time_schedules                              SET of all time schedule ids
 *   {prefix}flag_time_schedules:{flag_id}               SET of the flag's time schedule ids
 * Scripts derive keys from stored ids (a flag's overrides and records from its id, documents from
 * an index's members), so they touch keys they were not given: fine on a single server or
 * Sentinel; on Redis Cluster the storage requires a prefix with a hash tag (`{feature_flags}:`),
 * so that every key lives in the slot of the keys each script is given. The key fragments in the
 * Lua below are the ones of `redisKeys`.
 */

/** The key names of the layout above, for one prefix. */
export function redisKeys(prefix: string) {
  return {
    flag: (key: string) => `${prefix}flag:${key}`,
    flags: `${prefix}flags`,
    flagIds: `${prefix}flag_ids`,
    override: (flagId: string, entityType: string, entityId: string) =>
      `${prefix}override:${flagId}:${entityType}:${entityId}`,
    overrideIndex: (flagId: string) => `${prefix}flag_overrides:${flagId}`,
    segment: (id: string) => `${prefix}segment:${id}`,
    segmentNames: `${prefix}segment_names`,
    segments: `${prefix}segments`,
    environment: (id: string) => `${prefix}environment:${id}`,
    environmentSlugs: `${prefix}environment_slugs`,
    environments: `${prefix}environments`,
    environmentFlag: (environmentId: string, flagId: string) =>
      `${prefix}environment_flag:${environmentId}:${flagId}`,
    /** What comes before the environment id in an environment flag's key. */
    environmentFlagPrefix: `${prefix}environment_flag:`,
    environmentFlags: (environmentId: string) => `${prefix}environment_flags:${environmentId}`,
    flagEnvironments: (flagId: string) => `${prefix}flag_environments:${flagId}`,
    scheduledChange: (id: string) => `${prefix}scheduled_change:${id}`,
    scheduledChanges: `${prefix}scheduled_changes`,
    pendingChanges: `${prefix}scheduled_changes_pending`,
    flagScheduledChanges: (flagId: string) => `${prefix}flag_scheduled_changes:${flagId}`,
    rolloutPhase: (id: string) => `${prefix}rollout_phase:${id}`,
    rolloutPhases: `${prefix}rollout_phases`,
    flagRolloutPhases: (flagId: string) => `${prefix}flag_rollout_phases:${flagId}`,
    timeSchedule: (id: string) => `${prefix}time_schedule:${id}`,
    timeSchedules: `${prefix}time_schedules`,
    flagTimeSchedules: (flagId: string) => `${prefix}flag_time_schedules:${flagId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Lua prelude: `flag_by_id(prefix, id)` answers the key and document of the flag with that id, or
 * nil. The `flag_ids` hash answers at once for every flag Gatekeeper wrote, checked against the
 * document (litestar-flags may have deleted or recreated the flag since). Flags litestar-flags
 * wrote are not in it: on a miss every flag document is read once, and every id found is indexed,
 * so each such flag costs that scan once. A lookup of an id no flag has (an error) scans each time.
 */
export const FLAG_BY_ID = `
local function flag_by_id(prefix, id)
  local ids = prefix .. 'flag_ids'
  local key = redis.call('HGET', ids, id)
  if key then
    local document = redis.call('GET', prefix .. 'flag:' .. key)
    if document and cjson.decode(document).id == id then return key, document end
    redis.call('HDEL', ids, id)
  end
  local found, found_document
  for _, each in ipairs(redis.call('SMEMBERS', prefix .. 'flags')) do
    local document = redis.call('GET', prefix .. 'flag:' .. each)
    local other = document and cjson.decode(document).id
    if type(other) == 'string' then
      redis.call('HSETNX', ids, other, each)
      if other == id then found, found_document = each, document end
    end
  end
  return found, found_document
end
`;

/** KEYS: flag, index, flag_ids. ARGV: document, key, id. 1 when created, 0 when the key is taken. */
const CREATE_FLAG = new LuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[2])
return 1
`);

/**
 * The compare-and-set of every flag write after creation. KEYS: flag, index, flag_ids. ARGV:
 * document, key, SHA-1 of the stored document the write was computed from, id. Writes only if
 * the stored document is still exactly that one, byte for byte: a write by anyone in between
 * (Gatekeeper, which bumps `version`, or litestar-flags, which keeps none) makes it answer -1
 * and the caller reads again.
 *
 * Applying a scheduled change or rollout phase claims it in the same write: KEYS add the item's
 * document (and the pending index, for changes), ARGV its SHA-1 as read, its document marked
 * executed, and its id. An item changed or gone since the read (another instance applied it, or
 * it was edited) answers -2, and nothing is written.
 * 1 when written, 0 when the flag is gone, -1 when it changed.
 */
const UPDATE_FLAG = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if redis.sha1hex(stored) ~= ARGV[3] then return -1 end
if KEYS[4] then
  local item = redis.call('GET', KEYS[4])
  if not item or redis.sha1hex(item) ~= ARGV[5] then return -2 end
  redis.call('SET', KEYS[4], ARGV[6])
  if KEYS[5] then redis.call('ZREM', KEYS[5], ARGV[7]) end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[2])
return 1
`);

/**
 * KEYS: flag, index, flag_ids, scheduled_changes, scheduled_changes_pending, rollout_phases,
 * time_schedules. ARGV: key, prefix. Deletes the flag with the overrides its index lists and every
 * record naming its id (environment flags, scheduled changes, rollout phases, time schedules,
 * with their index entries); answers the deleted flag's id, or 0 when there was no such flag.
 */
const DELETE_FLAG = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
local id = cjson.decode(stored).id
local prefix = ARGV[2]
local overrides = prefix .. 'flag_overrides:' .. id
local members = redis.call('ZRANGE', overrides, 0, -1)
-- unpack() is limited by the Lua stack: delete in slices.
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
local environments = prefix .. 'flag_environments:' .. id
for _, environment in ipairs(redis.call('SMEMBERS', environments)) do
  redis.call('DEL', prefix .. 'environment_flag:' .. environment .. ':' .. id)
  redis.call('SREM', prefix .. 'environment_flags:' .. environment, id)
end
local function delete_records(index, ids, document, all, pending)
  for _, record in ipairs(ids) do
    redis.call('DEL', prefix .. document .. record)
    redis.call('SREM', all, record)
    if pending then redis.call('ZREM', pending, record) end
  end
  redis.call('DEL', index)
end
local changes = prefix .. 'flag_scheduled_changes:' .. id
delete_records(changes, redis.call('SMEMBERS', changes), 'scheduled_change:', KEYS[4], KEYS[5])
local phases = prefix .. 'flag_rollout_phases:' .. id
delete_records(phases, redis.call('HVALS', phases), 'rollout_phase:', KEYS[6])
local schedules = prefix .. 'flag_time_schedules:' .. id
delete_records(schedules, redis.call('SMEMBERS', schedules), 'time_schedule:', KEYS[7])
redis.call('DEL', KEYS[1], overrides, environments)
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[3], id) == ARGV[1] then redis.call('HDEL', KEYS[3], id) end
return id
`);

/**
 * KEYS: override, the flag's override index. ARGV: the document read. Deletes the override only
 * if it is still that document (a new one may have replaced it since); 1 or 0.
 */
const DELETE_EXPIRED_OVERRIDE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
return 1
`);

/**
 * KEYS: override, flag's override index. ARGV: document, TTL in ms or '', expiry in epoch ms
 * or '', now in epoch ms.
 */
const SET_OVERRIDE = new LuaScript(`
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], '+inf', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
return 1
`);

/**
 * Creates a record with a unique field (a segment's name, an environment's slug). KEYS: document,
 * the unique index (HASH value → id), the index of ids. ARGV: document, unique value, id.
 * 1 when created, 0 when the value is taken, -1 when the id is. HSETNX is what makes one of two
 * concurrent creates of a value lose.
 */
const CREATE_UNIQUE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`);

/**
 * Replaces a record with a unique field, moving its index entry when the value changes. KEYS:
 * document, unique index. ARGV: document, unique value, id, the field's name in the document.
 * 1 when written, 0 when there is no such record, -1 when the new value is another record's.
 */
const UPDATE_UNIQUE = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[3] then return -1 end
local old = cjson.decode(stored)[ARGV[4]]
if old ~= ARGV[2] and redis.call('HGET', KEYS[2], old) == ARGV[3] then
  redis.call('HDEL', KEYS[2], old)
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1])
return 1
`);

/** KEYS: segment, names, index. ARGV: id. 1 when deleted, 0 when there was none. */
const DELETE_SEGMENT = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
if not stored then return 0 end
local name = cjson.decode(stored).name
if redis.call('HGET', KEYS[2], name) == ARGV[1] then redis.call('HDEL', KEYS[2], name) end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * Every document an index lists, in one round trip. KEYS: the index. ARGV: how to read its
 * members (SMEMBERS, HVALS, or ZRANGE, in score order), then what goes before and after a member
 * to make its document's key. Members without a document are skipped.
 */
const DOCUMENTS = new LuaScript(`
local members
if ARGV[1] == 'ZRANGE' then
  members = redis.call('ZRANGE', KEYS[1], 0, -1)
else
  members = redis.call(ARGV[1], KEYS[1])
end
local documents = {}
for _, member in ipairs(members) do
  local document = redis.call('GET', ARGV[2] .. member .. ARGV[3])
  if document then documents[#documents + 1] = document end
end
return documents
`);

/**
 * KEYS: a unique index (HASH value → id). ARGV: value, what goes before the id in the document's
 * key. The document of the record with that value, or nil.
 */
const BY_UNIQUE = new LuaScript(`
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
return redis.call('GET', ARGV[2] .. id)
`);

/** Every script above, for `import { scripts }`. */
export const scripts = {
  CREATE_FLAG,
  UPDATE_FLAG,
  DELETE_FLAG,
  DELETE_EXPIRED_OVERRIDE,
  SET_OVERRIDE,
  CREATE_UNIQUE,
  UPDATE_UNIQUE,
  DELETE_SEGMENT,
  DOCUMENTS,
  BY_UNIQUE,
};
