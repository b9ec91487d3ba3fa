import { LuaScript } from '@gatekeeper/common';
import { FLAG_BY_ID } from './redis.scripts';

/*
 * The scripts of environments, environment flags, scheduled changes, rollout phases and time
 * schedules, in the key layout documented in redis.scripts.ts. Every record naming a flag is
 * created in a script that checks, with FLAG_BY_ID, that the flag exists: DELETE_FLAG deletes a
 * flag's records in one script too, so no record can outlive its flag, whatever the interleaving.
 */

/**
 * KEYS: environment_slugs, environments. ARGV: slug, prefix. Deletes the environment with that
 * slug and its environment flags (with their entries in the flags' indexes). 1 when deleted, 0
 * when there was none. Environments below it keep their parent_id.
 */
const DELETE_ENVIRONMENT = new LuaScript(`
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return 0 end
local prefix = ARGV[2]
local flags = prefix .. 'environment_flags:' .. id
for _, flag in ipairs(redis.call('SMEMBERS', flags)) do
  redis.call('DEL', prefix .. 'environment_flag:' .. id .. ':' .. flag)
  redis.call('SREM', prefix .. 'flag_environments:' .. flag, id)
end
redis.call('DEL', prefix .. 'environment:' .. id, flags)
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], id)
return 1
`);

/**
 * KEYS: environment flag, the environment's index, the flag's index, the environment. ARGV:
 * document, environment id, flag id, prefix. 1 when created, 0 when the pair has settings
 * already, -1 when the environment does not exist, -2 when the flag does not.
 */
const CREATE_ENVIRONMENT_FLAG = new LuaScript(`${FLAG_BY_ID}
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
if not flag_by_id(ARGV[4], ARGV[3]) then return -2 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`);

/**
 * The compare-and-set of a record's replacement. KEYS: document. ARGV: new document, the
 * document the replacement was built from. 1 when written, 0 when the record is gone, -1 when
 * it changed since (the caller reads again).
 */
const REPLACE = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if stored ~= ARGV[2] then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`);

/**
 * KEYS: environment flag, the environment's index, the flag's index. ARGV: environment id, flag
 * id. 1 when deleted, 0 when the pair had no settings.
 */
const DELETE_ENVIRONMENT_FLAG = new LuaScript(`
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('SREM', KEYS[3], ARGV[1])
return redis.call('DEL', KEYS[1])
`);

/**
 * Creates a record of a flag (scheduled change, rollout phase, time schedule). KEYS: document,
 * index of all ids, the flag's index, and for a pending scheduled change the pending index.
 * ARGV: document, id, flag id, prefix, the phase number ('' unless a rollout phase, whose flag
 * index is a HASH phase number → id), the pending score ('' unless pending).
 * 1 when created, 0 when the phase number is taken, -1 when the id is, -2 when the flag does
 * not exist.
 */
const CREATE_FLAG_RECORD = new LuaScript(`${FLAG_BY_ID}
if not flag_by_id(ARGV[4], ARGV[3]) then return -2 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if ARGV[5] == '' then
  redis.call('SADD', KEYS[3], ARGV[2])
elseif redis.call('HSETNX', KEYS[3], ARGV[5], ARGV[2]) == 0 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[4], ARGV[6], ARGV[2]) end
return 1
`);

/**
 * Deletes a record of a flag. KEYS: document, index of all ids, and for a scheduled change the
 * pending index. ARGV: id, what goes before the flag id in the flag's index key (prefix included),
 * and for a rollout phase 'phase_number' (its flag index is a HASH). 1 when deleted, 0 when there
 * was none.
 */
const DELETE_FLAG_RECORD = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if KEYS[3] then redis.call('ZREM', KEYS[3], ARGV[1]) end
if not stored then return 0 end
local record = cjson.decode(stored)
local index = ARGV[2] .. record.flag_id
if ARGV[3] then
  local field = tostring(record[ARGV[3]])
  if redis.call('HGET', index, field) == ARGV[1] then redis.call('HDEL', index, field) end
else
  redis.call('SREM', index, ARGV[1])
end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * Replaces a scheduled change if it is still the document read (else -1: read again; 0 when it
 * is gone). KEYS: document, pending index, the new flag's index. ARGV: document, the document
 * read, id, new flag id, prefix, pending score ('' once executed, which takes it out of the
 * pending index). A change moved to another flag needs that flag to exist: -2 when it does not.
 */
const UPDATE_SCHEDULED_CHANGE = new LuaScript(`${FLAG_BY_ID}
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if stored ~= ARGV[2] then return -1 end
local old = cjson.decode(stored).flag_id
if old ~= ARGV[4] then
  if not flag_by_id(ARGV[5], ARGV[4]) then return -2 end
  redis.call('SREM', ARGV[5] .. 'flag_scheduled_changes:' .. old, ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[6] == '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
else
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[3])
end
return 1
`);

/**
 * What applying a scheduled change or rollout phase starts from, in one round trip. KEYS: the
 * item's document. ARGV: prefix. nil when the item does not exist; else its document and SHA-1,
 * then (when its flag exists) the flag's key, document and SHA-1: the hashes UPDATE_FLAG checks.
 */
const READ_SCHEDULED = new LuaScript(`${FLAG_BY_ID}
local item = redis.call('GET', KEYS[1])
if not item then return false end
local key, flag = flag_by_id(ARGV[1], cjson.decode(item).flag_id)
if not key then return {item, redis.sha1hex(item)} end
return {item, redis.sha1hex(item), key, flag, redis.sha1hex(flag)}
`);

/** Every script above, for `import { recordScripts }`. */
export const recordScripts = {
  DELETE_ENVIRONMENT,
  CREATE_ENVIRONMENT_FLAG,
  REPLACE,
  DELETE_ENVIRONMENT_FLAG,
  CREATE_FLAG_RECORD,
  DELETE_FLAG_RECORD,
  UPDATE_SCHEDULED_CHANGE,
  READ_SCHEDULED,
};
