import { waitForReplica, type ReplicaAcknowledgement, type RedisClient } from '@gatekeeper/common';
import { ApiKeyReplicationError } from './storage.errors';

/** Ids remembered as unconfirmed, at most: the oldest is forgotten first. */
const MAX_UNCONFIRMED = 10_000;

/**
 * Replica acknowledgements of the writes that take access away (revoke, rotate, delete and their
 * cache invalidations), and the ids whose last such write no replica confirmed: a retry of those
 * waits for a replica again instead of passing on the primary's word.
 */
export class ReplicaConfirmations {
  private readonly unconfirmed = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    readonly timeoutMs: number,
  ) {}

  /** Whether the last write for `id` was left unconfirmed. */
  isPending(id: string): boolean {
    return this.unconfirmed.has(id);
  }

  /** Waits for a replica of the node serving `key` (at once when it has none). */
  acknowledge(key: string): Promise<ReplicaAcknowledgement> {
    return waitForReplica(this.redis, key, this.timeoutMs);
  }

  /**
   * Records the outcome for `id`.
   * @throws ApiKeyReplicationError when no replica confirmed in time.
   */
  settle(id: string, acknowledgement: ReplicaAcknowledgement): void {
    if (acknowledgement !== 'timeout') {
      this.unconfirmed.delete(id);
      return;
    }
    if (this.unconfirmed.size >= MAX_UNCONFIRMED) {
      this.unconfirmed.delete(this.unconfirmed.values().next().value!);
    }
    this.unconfirmed.add(id);
    throw new ApiKeyReplicationError(id, this.timeoutMs);
  }

  /** `acknowledge` then `settle`. */
  async confirm(id: string, key: string): Promise<void> {
    this.settle(id, await this.acknowledge(key));
  }
}
