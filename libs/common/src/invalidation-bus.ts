import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { describeError } from './redact';
import {
  connectionNameOf,
  isRedisCluster,
  openRedis,
  quitRedis,
  reconnectWhenAbandoned,
  type RedisClient,
  type RedisHandle,
} from './redis-connection';

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
 * Redis pub/sub transport for `InvalidationBus`: one PUBLISH per change, one subscriber connection.
 * On a Redis Cluster a PUBLISH reaches every node, so the subscriber may sit on any of them (ioredis
 * moves it to another node when its node goes away).
 */
class RedisInvalidationBus implements InvalidationBus {
  /** Tags this instance's messages so its own subscriber can skip them. */
  private readonly senderId = randomUUID();
  private readonly messageListeners = new Set<(message: string) => void>();
  private readonly resetListeners = new Set<() => void>();
  private readonly logger: Logger;
  private closed = false;

  constructor(
    /** Publishes; closing it quits the client only if the module opened it. */
    private readonly publisher: RedisHandle,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    name: string,
  ) {
    this.logger = new Logger(`InvalidationBus(${name})`);
    this.watch();
  }

  async publish(message: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.publisher.client.publish(this.channel, this.senderId + SEPARATOR + message);
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
    await quitRedis(this.subscriber);
    await this.publisher.close();
  }

  private watch(): void {
    let interrupted = false;
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
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
    });
    this.subscriber.on('error', (error: unknown) => {
      if (interrupted || this.closed) return;
      interrupted = true;
      this.logger.warn(`subscription lost: ${describeError(error)}; reconnecting`);
    });
    this.subscriber.on('close', () => {
      if (!this.closed) interrupted = true;
    });
    // ioredis re-subscribes on reconnect (after a Sentinel failover, on the new primary), but
    // whatever was published while away is gone for good.
    // Reset once the server confirms the subscription (the reply to our own, idempotent
    // SUBSCRIBE), so that nothing published after the reset can be missed.
    this.subscriber.on('ready', () => {
      if (!interrupted || this.closed) return;
      interrupted = false;
      this.subscriber.subscribe(this.channel).then(
        () => {
          this.logger.log('subscription restored; dropping cached entries that may be stale');
          for (const listener of this.resetListeners) listener();
        },
        (error: unknown) => {
          interrupted = true;
          this.logger.warn(`could not resubscribe: ${describeError(error)}`);
        },
      );
    });
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
  // A connection in subscriber mode can run nothing else, hence a dedicated one.
  const connectionName = `${connectionNameOf(redis.client) ?? 'gatekeeper'}:invalidation`;
  const { client } = redis;
  const subscriber = isRedisCluster(client)
    ? client.duplicate([], {
        lazyConnect: true,
        redisOptions: { ...client.options.redisOptions, connectionName },
      })
    : client.duplicate({ lazyConnect: true, connectionName });
  const bus = new RedisInvalidationBus(redis, subscriber, channel, name);
  try {
    await subscriber.connect();
    await subscriber.subscribe(channel);
    if (!isRedisCluster(subscriber)) {
      reconnectWhenAbandoned(subscriber, `the subscriber of ${channel}`);
    }
  } catch (error) {
    subscriber.disconnect();
    await redis.close();
    throw new Error(
      `could not subscribe to the ${name} invalidation channel: ${describeError(error)}`,
    );
  }
  return bus;
}
