import { LuaScript } from '@gatekeeper/common';

/** The scripts behind RedisCacheApiKeyStorage: each keeps an entry and its generation in step. */

/**
 * Writes an entry only if the hash's generation is still the one read before the primary was
 * asked. A writer bumps the generation after its primary write, so a reader that fetched the old
 * value cannot cache it after the writer's invalidation.
 * KEYS: entry, generation[, id → hash]. ARGV: expected generation ('' = none), value, ttl ms, hash.
 */
export const FILL_SCRIPT = new LuaScript(`
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3]) end
return 1
`);

/**
 * Drops the entry of a hash and bumps its generation. The hash is given, or looked up through the
 * id → hash entry written with a cached key (touch() knows only the id).
 * KEYS: the hash's generation when the hash is given, else the id → hash entry; then the
 * id → hash entry when both are given. The first key routes the script on a cluster.
 * ARGV: prefix, hash or '', generation ttl ms.
 */
export const INVALIDATE_SCRIPT = new LuaScript(`
local keyHash = ARGV[2]
local idKey = KEYS[2]
if keyHash == '' then
  idKey = KEYS[1]
  keyHash = redis.call('GET', idKey)
end
if keyHash then
  local generation = ARGV[1] .. 'gen:' .. keyHash
  redis.call('INCR', generation)
  redis.call('PEXPIRE', generation, ARGV[3])
  redis.call('DEL', ARGV[1] .. 'hash:' .. keyHash)
end
if idKey then redis.call('DEL', idKey) end
return 1
`);
