import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { describeError } from './redact';
import {
  connectionNameOf,
  openRedis,
  type RedisClient,
  type RedisHandle,
} from './redis-connection';
import { publishMessage, subscribeChannel, type ChannelSubscription } from './redis-pubsub';

/**
 * Cross-instance cache invalidation: every instance publishes what it changed and drops what the
 * others changed. Messages are opaque strings; each cache defines its own.
 */
export interface InvalidationBus {
  /** Tells the other instances (never this one). Resolves even when Redis is away: TTLs cover that. */
  publish(message: string): Promise<void>;
  /** Called with each message another instance published. Returns an unsubscribe function. */
  onMessage(listener: (message: string) => void): () => void;
  /**
   * Called when the subscription comes back after a disconnection: messages may have been lost
   * meanwhile, so caches should drop everything.
   */
  onReset(listener: () => void): () => void;
  close(): Promise<void>;
}

const SEPARATOR = '|';

/**
 * Redis pub/sub transport for `InvalidationBus`: one PUBLISH per change, one subscriber connection
 * (see `subscribeChannel`: on a Redis Cluster it may sit on any node).
 */
class RedisInvalidationBus implements InvalidationBus {
  /** Tags this instance's messages so its own subscriber can skip them. */
  private readonly senderId = randomUUID();
  private readonly messageListeners = new Set<(message: string) => void>();
  private readonly resetListeners = new Set<() => void>();
  private readonly logger: Logger;
  private closed = false;
  private subscription: ChannelSubscription | undefined;

  constructor(
    /** Publishes; closing it quits the client only if the module opened it. */
    private readonly publisher: RedisHandle,
    private readonly channel: string,
    name: string,
  ) {
    this.logger = new Logger(`InvalidationBus(${name})`);
  }

  /** Resolves once subscribed: no change published after that is missed. */
  async subscribe(connectionName: string): Promise<void> {
    this.subscription = await subscribeChannel(
      this.publisher.client,
      this.channel,
      { message: (raw) => this.receive(raw), restored: () => this.reset() },
      this.logger,
      connectionName,
    );
  }

  async publish(message: string): Promise<void> {
    if (this.closed) return;
    try {
      await publishMessage(
        this.publisher.client,
        this.channel,
        this.senderId + SEPARATOR + message,
      );
    } catch (error) {
      this.logger.warn(
        `could not publish an invalidation; other instances catch up when their cache entries expire: ${describeError(error)}`,
      );
    }
  }

  onMessage(listener: (message: string) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.messageListeners.clear();
    this.resetListeners.clear();
    await this.subscription?.close();
    await this.publisher.close();
  }

  private receive(raw: string): void {
    if (this.closed) return;
    const cut = raw.indexOf(SEPARATOR);
    if (cut === -1 || raw.slice(0, cut) === this.senderId) return;
    const message = raw.slice(cut + 1);
    for (const listener of this.messageListeners) {
      try {
        listener(message);
      } catch (error) {
        this.logger.error(`invalidation listener failed: ${describeError(error)}`);
      }
    }
  }

  private reset(): void {
    if (this.closed) return;
    for (const listener of this.resetListeners) listener();
  }
}

/**
 * The module's invalidation bus, on the given client or URL; `undefined` when neither is set
 * (then each instance sees other instances' changes only once its cache ttl runs out). Subscribes
 * before resolving, so no change published after startup is missed.
 */
export async function connectInvalidationBus(
  source: { redis?: RedisClient; redisUrl?: string },
  channel: string,
  name: string,
): Promise<InvalidationBus | undefined> {
  if (!source.redis && !source.redisUrl) return undefined;
  const redis = await openRedis(
    source,
    `gatekeeper-${name.toLowerCase().replace(/\W+/g, '-')}-invalidation`,
  );
  const bus = new RedisInvalidationBus(redis, channel, name);
  try {
    await bus.subscribe(`${connectionNameOf(redis.client) ?? 'gatekeeper'}:invalidation`);
  } catch (error) {
    await redis.close();
    throw new Error(
      `could not subscribe to the ${name} invalidation channel: ${describeError(error)}`,
    );
  }
  return bus;
}
