import { GatekeeperConfigError } from './errors';
import { isRedisCluster, type RedisClient } from './redis-connection';

// On a Redis Cluster a module's multi-key scripts are legal only when its keys share one slot,
// and a keyless command (PING, SCAN, WAIT) lands on an arbitrary node unless routed by a key:
// both follow from the key prefix, so these helpers live together.

/**
 * The hash tag Redis Cluster hashes for keys starting with `prefix` (the text between the first
 * `{` and the first `}` after it, when not empty), or `undefined` when the prefix has none and
 * keys under it scatter over the slots.
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open === -1) return undefined;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

/**
 * The key prefix a module uses on `client`: the given one, else its default — on a cluster the
 * default with its namespace as hash tag (`'api_key:'` becomes `'{api_key}:'`), so that a
 * module's keys share one slot and its multi-key scripts stay legal.
 */
export function redisPrefixFor(
  client: RedisClient,
  given: string | undefined,
  defaultPrefix: string,
): string {
  if (given !== undefined) return given;
  if (!isRedisCluster(client) || hashTagOf(defaultPrefix) !== undefined) return defaultPrefix;
  return `{${defaultPrefix.replace(/:$/, '')}}:`;
}

/**
 * On a cluster, every key under `prefix` must share one slot: the module's scripts touch several
 * keys at once.
 * @throws GatekeeperConfigError naming `optionName` when the prefix has no hash tag.
 */
export function assertClusterPrefix(client: RedisClient, prefix: string, optionName: string): void {
  if (!isRedisCluster(client) || hashTagOf(prefix) !== undefined) return;
  const suggestion = `{${prefix.replace(/[{}]/g, '').replace(/:$/, '') || 'app'}}:`;
  throw new GatekeeperConfigError(
    `${optionName} ${JSON.stringify(prefix)} has no hash tag, which Redis Cluster needs: every key ` +
      `of the module must share one slot. Use a prefix such as ${JSON.stringify(suggestion)}`,
  );
}

/** What `waitForReplica` found out. */
export type ReplicaAcknowledgement = 'confirmed' | 'no-replica' | 'timeout';

/**
 * Waits (WAIT 1, at most `timeoutMs`) until a replica of the node serving `key` has every write
 * this client sent that node so far; answers `'no-replica'` at once when the node has no
 * connected replica (WAIT would only sit out its timeout). Each step is pipelined behind a command
 * on `key`, so that on a cluster it reaches the key's node, on the connection that wrote.
 */
export async function waitForReplica(
  redis: RedisClient,
  key: string,
  timeoutMs: number,
): Promise<ReplicaAcknowledgement> {
  const [role] = await pipelinedOn(redis, key, ['role']);
  const replicas = (role as [string, number, unknown[]?])[2];
  if (!Array.isArray(replicas) || replicas.length === 0) return 'no-replica';
  const [acknowledged] = await pipelinedOn(redis, key, ['wait', 1, timeoutMs]);
  return Number(acknowledged) >= 1 ? 'confirmed' : 'timeout';
}

/**
 * Runs `command` on the node of `key` (after EXISTS `key`, which routes the pipeline there): how
 * a keyless command (SCAN, WAIT, PING) reaches the node of a module's slot on a cluster.
 */
export async function pipelinedOn(
  redis: RedisClient,
  key: string,
  command: [string, ...Array<string | number>],
): Promise<unknown[]> {
  const results = await redis.pipeline([['exists', key], command]).exec();
  return (results ?? []).slice(1).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
