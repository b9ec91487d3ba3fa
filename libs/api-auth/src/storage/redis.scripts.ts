import { LuaScript } from '@gatekeeper/common';

/**
 * The scripts behind RedisApiKeyStorage. Each touches the three keys of one API key
 * (`hash:`, `id:`, `owner:`) as one atomic step. Some key names are derived inside the script
 * (the record's name depends on the stored hash). Redis Cluster allows that only within the slot
 * of the keys given, hence the hash tag a cluster prefix must carry: every key shares one slot,
 * and the first key given routes the script to its node.
 */

/** KEYS: record, id, owner. ARGV: json, id, keyHash. Returns 'OK', or the field that collided. */
export const CREATE_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 'id' end
if redis.call('EXISTS', KEYS[1]) == 1 then return 'keyHash' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
return 'OK'
`);

/**
 * update() and touch(): splices the stored record (see redis.serialization.ts) instead of
 * decoding and re-encoding it. Keeps the identity segment, replaces the middle one (unless
 * ARGV[2] is empty: touch), keeps a stored revoked_at, keeps the later last_used_at. An update
 * (not a touch) applies only if the stored version equals ARGV[5] (when not ''), and increments
 * it; a record without a version is version 1.
 * KEYS: id. ARGV: record key prefix, replaceable segment or '', revoked_at, last_used_at (JSON),
 * expected version or ''.
 * Returns the stored record, 'conflict:<stored version>', or nil when the id is unknown.
 */
export const MERGE_SCRIPT = new LuaScript(`
local keyHash = redis.call('GET', KEYS[1])
if not keyHash then return false end
local recordKey = ARGV[1] .. keyHash
local stored = redis.call('GET', recordKey)
if not stored then return false end
local identity = string.match(stored, '^({"id":.-,"created_at":"[^"]*")')
local body, revoked, lastUsed, version =
  string.match(stored, '^(.*),"revoked_at":([^,]*),"last_used_at":([^,]*),"version":(%d+)}$')
if not body then
  body, revoked, lastUsed = string.match(stored, '^(.*),"revoked_at":([^,]*),"last_used_at":([^,]*)}$')
  version = '1'
end
if not identity or not body then
  return redis.error_reply('ERR API key record ' .. recordKey .. ' is not in the expected format')
end
local replaceable = ARGV[2]
if replaceable == '' then
  replaceable = string.sub(body, #identity + 1)
else
  if ARGV[5] ~= '' and ARGV[5] ~= version then return 'conflict:' .. version end
  version = string.format('%d', tonumber(version) + 1)
end
if revoked == 'null' then revoked = ARGV[3] end
if ARGV[4] ~= 'null' and (lastUsed == 'null' or ARGV[4] > lastUsed) then lastUsed = ARGV[4] end
local merged = identity .. replaceable .. ',"revoked_at":' .. revoked .. ',"last_used_at":' ..
  lastUsed .. ',"version":' .. version .. '}'
redis.call('SET', recordKey, merged)
return merged
`);

/** KEYS: id. ARGV: prefix, id. Returns 1 if the key existed. */
export const DELETE_SCRIPT = new LuaScript(`
local keyHash = redis.call('GET', KEYS[1])
if not keyHash then return 0 end
local recordKey = ARGV[1] .. 'hash:' .. keyHash
local stored = redis.call('GET', recordKey)
redis.call('DEL', KEYS[1], recordKey)
if stored then
  redis.call('SREM', ARGV[1] .. 'owner:' .. cjson.decode(stored).owner_id, ARGV[2])
end
return 1
`);

/**
 * KEYS: the id keys. ARGV: record key prefix. Returns the record of each id (nil if unknown), in
 * one round trip.
 */
export const FETCH_BY_IDS_SCRIPT = new LuaScript(`
local records = {}
for i = 1, #KEYS do
  local keyHash = redis.call('GET', KEYS[i])
  records[i] = keyHash and redis.call('GET', ARGV[1] .. keyHash) or false
end
return records
`);
