import { LuaScript } from '@gatekeeper/common';

/*
 * Key layout (the first three are litestar-flags', shared with Python services):
 *   {prefix}flag:{key}                                  JSON document of the flag, rules and variants embedded
 *   {prefix}flags                                       SET of all flag keys
 *   {prefix}override:{flag_id}:{entity_type}:{entity_id} JSON document, with a TTL when expires_at is set
 *   {prefix}flag_overrides:{flag_id}                    ours: ZSET of the flag's override keys, scored by
 *                                                       expiry (ms, +inf for none), so deleteFlag finds
 *                                                       them without KEYS or SCAN; expired members are
 *                                                       pruned on every override write.
 *   {prefix}segment:{id}                                ours: JSON document of a segment (snake_case)
 *   {prefix}segment_names                               ours: HASH segment name → id (the unique index)
 *   {prefix}segments                                    ours: SET of all segment ids
 * Scripts derive the override keys of a flag from its stored id, so they touch keys they were not
 * given: fine on a single server or Sentinel; on Redis Cluster use a prefix with a hash tag
 * (`{ff}:`) so that every key lives in one slot.
 */

/** The key names of the layout above, for one prefix. */
export function redisKeys(prefix: string) {
  return {
    flag: (key: string) => `${prefix}flag:${key}`,
    flags: `${prefix}flags`,
    override: (flagId: string, entityType: string, entityId: string) =>
      `${prefix}override:${flagId}:${entityType}:${entityId}`,
    overrideIndex: (flagId: string) => `${prefix}flag_overrides:${flagId}`,
    segment: (id: string) => `${prefix}segment:${id}`,
    segmentNames: `${prefix}segment_names`,
    segments: `${prefix}segments`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** KEYS: flag, index. ARGV: document, key. 1 when created, 0 when the key is taken. */
const CREATE_FLAG = new LuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`);

/**
 * The compare-and-set of `updateFlag`. KEYS: flag, index. ARGV: document, key, SHA-1 of the stored
 * document the update was checked against. Writes only if the stored document is still exactly
 * that one, byte for byte: a write by anyone in between (Gatekeeper, which bumps `version`, or
 * litestar-flags, which keeps none) makes it answer -1 and the caller checks again.
 * 1 when written, 0 when the flag is gone, -1 when it changed.
 */
const UPDATE_FLAG = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if redis.sha1hex(stored) ~= ARGV[3] then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`);

/**
 * KEYS: flag, index. ARGV: key, prefix. Deletes the flag and the overrides its index lists;
 * answers the deleted flag's id, or 0 when there was no such flag.
 */
const DELETE_FLAG = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
local id = cjson.decode(stored).id
local overrides = ARGV[2] .. 'flag_overrides:' .. id
local members = redis.call('ZRANGE', overrides, 0, -1)
-- unpack() is limited by the Lua stack: delete in slices.
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1], overrides)
redis.call('SREM', KEYS[2], ARGV[1])
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
 * KEYS: segment, names, index. ARGV: document, name, id. 1 when created, 0 when the name is
 * taken, -1 when the id is. HSETNX on the names hash is what makes one of two concurrent creates
 * of a name lose.
 */
const CREATE_SEGMENT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`);

/**
 * KEYS: segment, names. ARGV: document, name, id. Moves the name entry when the name changes.
 * 1 when written, 0 when there is no such segment, -1 when the new name is another segment's.
 */
const UPDATE_SEGMENT = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[3] then return -1 end
local old = cjson.decode(stored).name
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

/** KEYS: index. ARGV: prefix. Every segment document, in one round trip. */
const ALL_SEGMENTS = new LuaScript(`
local documents = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local document = redis.call('GET', ARGV[1] .. 'segment:' .. id)
  if document then documents[#documents + 1] = document end
end
return documents
`);

/** KEYS: names. ARGV: name, prefix. The document of the segment with that name, or nil. */
const SEGMENT_BY_NAME = new LuaScript(`
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
return redis.call('GET', ARGV[2] .. 'segment:' .. id)
`);

/** Every script above, for `import { scripts }`. */
export const scripts = {
  CREATE_FLAG,
  UPDATE_FLAG,
  DELETE_FLAG,
  DELETE_EXPIRED_OVERRIDE,
  SET_OVERRIDE,
  CREATE_SEGMENT,
  UPDATE_SEGMENT,
  DELETE_SEGMENT,
  ALL_SEGMENTS,
  SEGMENT_BY_NAME,
};
