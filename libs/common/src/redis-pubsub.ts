import type { Logger } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { requireDriver } from './driver';
import { describeError } from './redact';
import { DEFAULT_STORAGE_TIMEOUT_MS, withTimeout } from './timeout';
import {
  isRedisCluster,
  quitRedis,
  reconnectDelay,
  reconnectWhenAbandoned,
  type RedisClient,
} from './redis-connection';

/** What a subscription tells its owner. */
export interface SubscriptionHandlers {
  /** A message published on the channel. */
  message(raw: string): void;
  /** Subscribed again after a gap: whatever was published meanwhile is lost. */
  restored(): void;
}

export interface ChannelSubscription {
  close(): Promise<void>;
}

/**
 * How often a cluster subscription checks that its node still answers. A frozen node or a network
 * partition keeps the connection open and silent: only a PING without a reply (bounded by the
 * client's command timeout) tells.
 */
const CLUSTER_PING_INTERVAL_MS = 3000;

/** How long connecting to a node and subscribing there may take before the next node is tried. */
const SUBSCRIBE_TIMEOUT_MS = 5000;

/**
 * Subscribes to `channel` on a connection of its own (a connection in subscriber mode can run
 * nothing else) and keeps it subscribed across disconnections and failovers, calling `restored`
 * each time it is subscribed again. Resolves once the server confirmed the first subscription.
 */
export async function subscribeChannel(
  client: RedisClient,
  channel: string,
  handlers: SubscriptionHandlers,
  logger: Logger,
  connectionName: string,
): Promise<ChannelSubscription> {
  return isRedisCluster(client)
    ? ClusterSubscription.open(client, channel, handlers, logger, connectionName)
    : subscribeNode(client, channel, handlers, logger, connectionName);
}

/**
 * PUBLISH, acknowledged by one server. On a Redis Cluster a message published on any node reaches
 * every node, but ioredis sends it to one primary at random: one that stopped answering would lose
 * it while the others are fine. So the primaries are tried in turn, each bounded.
 */
export async function publishMessage(
  client: RedisClient,
  channel: string,
  message: string,
): Promise<void> {
  if (!isRedisCluster(client)) {
    await client.publish(channel, message);
    return;
  }
  let lastError: unknown = new Error('no cluster primary is known');
  for (const node of shuffle(client.nodes('master'))) {
    try {
      await withTimeout(node.publish(channel, message), DEFAULT_STORAGE_TIMEOUT_MS, 'PUBLISH');
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * On one server (maybe behind Sentinels): a duplicate of the client, which reconnects by itself
 * (after a Sentinel failover, to the new primary) and is subscribed again on each `ready`.
 */
async function subscribeNode(
  client: Redis,
  channel: string,
  handlers: SubscriptionHandlers,
  logger: Logger,
  connectionName: string,
): Promise<ChannelSubscription> {
  const subscriber = client.duplicate({ lazyConnect: true, connectionName });
  let closed = false;
  let interrupted = false;
  subscriber.on('message', (from: string, raw: string) => {
    if (from === channel) handlers.message(raw);
  });
  subscriber.on('error', (error: unknown) => {
    if (interrupted || closed) return;
    interrupted = true;
    logger.warn(`subscription lost: ${describeError(error)}; reconnecting`);
  });
  subscriber.on('close', () => {
    if (!closed) interrupted = true;
  });
  // ioredis subscribes again by itself on reconnect, but says nothing when it has. Our own
  // (idempotent) SUBSCRIBE is answered after it: nothing published after that reply is missed.
  subscriber.on('ready', () => {
    if (!interrupted || closed) return;
    interrupted = false;
    subscriber.subscribe(channel).then(
      () => {
        logger.log('subscription restored; dropping cached entries that may be stale');
        handlers.restored();
      },
      (error: unknown) => {
        interrupted = true;
        logger.warn(`could not resubscribe: ${describeError(error)}`);
      },
    );
  });
  try {
    await subscriber.connect();
    await subscriber.subscribe(channel);
  } catch (error) {
    closed = true;
    subscriber.disconnect();
    throw error;
  }
  reconnectWhenAbandoned(subscriber, `the subscriber of ${channel}`);
  return {
    close: async () => {
      closed = true;
      await quitRedis(subscriber);
    },
  };
}

/**
 * On a Redis Cluster a PUBLISH reaches every node, so one connection to any node hears the
 * channel. This one moves to another node when its own ends, leaves the cluster's slot map, or
 * stops answering PING, and reports `restored` once subscribed there. (A `Cluster` in subscriber
 * mode moves too, but silently: its owner never learns that messages were lost.)
 */
class ClusterSubscription implements ChannelSubscription {
  private current: Redis | undefined;
  private moving = false;
  private closed = false;
  private readonly pinger: NodeJS.Timeout;
  /** ioredis, an optional peer: loaded when the first cluster subscription opens. */
  private readonly NodeClient = requireDriver<{ Redis: new (options: RedisOptions) => Redis }>(
    'ioredis',
    'redis',
  ).Redis;

  private constructor(
    private readonly cluster: Cluster,
    private readonly channel: string,
    private readonly handlers: SubscriptionHandlers,
    private readonly logger: Logger,
    private readonly connectionName: string,
  ) {
    this.cluster.on('-node', this.onNodeRemoved);
    this.pinger = setInterval(() => this.ping(), CLUSTER_PING_INTERVAL_MS).unref();
  }

  static async open(
    cluster: Cluster,
    channel: string,
    handlers: SubscriptionHandlers,
    logger: Logger,
    connectionName: string,
  ): Promise<ClusterSubscription> {
    // An application's own client may not be connected yet, and knows no node until it is.
    if (cluster.status === 'wait') await cluster.connect();
    const subscription = new ClusterSubscription(
      cluster,
      channel,
      handlers,
      logger,
      connectionName,
    );
    const error = await subscription.subscribeSomewhere(undefined);
    if (error !== undefined) {
      await subscription.close();
      throw error;
    }
    return subscription;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    this.cluster.off('-node', this.onNodeRemoved);
    const current = this.current;
    this.current = undefined;
    if (current !== undefined) await quitRedis(current);
  }

  private readonly onNodeRemoved = (node: Redis) => {
    const current = this.current;
    if (current !== undefined && addressOf(node) === addressOf(current)) {
      this.move(`${addressOf(current)} left the cluster`);
    }
  };

  private ping(): void {
    const current = this.current;
    if (current === undefined) return;
    // Bounded here too: an application's own Cluster client may have no command timeout.
    withTimeout(current.ping(), DEFAULT_STORAGE_TIMEOUT_MS, 'PING').catch((error: unknown) => {
      if (current === this.current) {
        this.move(`${addressOf(current)} did not answer: ${describeError(error)}`);
      }
    });
  }

  /** Drops the current connection and subscribes on another node, retrying with backoff. */
  private move(reason: string): void {
    if (this.moving || this.closed) return;
    this.moving = true;
    const lost = this.current;
    this.current = undefined;
    lost?.disconnect();
    this.logger.warn(`subscription lost (${reason}); subscribing on another node`);
    void this.resubscribe(lost && addressOf(lost));
  }

  private async resubscribe(avoid: string | undefined): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      if ((await this.subscribeSomewhere(avoid)) === undefined) {
        this.moving = false;
        if (this.closed) return;
        this.logger.log('subscription restored; dropping cached entries that may be stale');
        this.handlers.restored();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, reconnectDelay(attempt)).unref());
    }
  }

  /**
   * Subscribes on the first node of the cluster's current view (in random order, `avoid` last)
   * that confirms; the last error when none does.
   */
  private async subscribeSomewhere(avoid: string | undefined): Promise<Error | undefined> {
    const addresses = shuffle(this.cluster.nodes('all').map(addressOf));
    addresses.sort((a, b) => Number(a === avoid) - Number(b === avoid));
    let lastError = new Error('no cluster node is known');
    for (const address of addresses) {
      if (this.closed) return undefined;
      const subscriber = this.connect(address);
      try {
        const subscribed = subscriber.connect().then(() => subscriber.subscribe(this.channel));
        await withTimeout(subscribed, SUBSCRIBE_TIMEOUT_MS, `subscribing on ${address}`);
        if (this.closed) {
          subscriber.disconnect();
          return undefined;
        }
        this.current = subscriber;
        return undefined;
      } catch (error) {
        subscriber.disconnect();
        lastError = error instanceof Error ? error : new Error(String(error));
      }
    }
    return lastError;
  }

  /** A connection to one node that never reconnects by itself: `move` picks the next node. */
  private connect(address: string): Redis {
    const separator = address.lastIndexOf(':');
    const subscriber = new this.NodeClient({
      ...this.cluster.options.redisOptions,
      host: address.slice(0, separator),
      port: Number(address.slice(separator + 1)),
      connectionName: this.connectionName,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    subscriber.on('message', (from: string, raw: string) => {
      if (from === this.channel) this.handlers.message(raw);
    });
    // What went wrong is reported by `move` (the connection ends after an error).
    subscriber.on('error', () => undefined);
    subscriber.once('end', () => {
      if (subscriber === this.current) this.move(`the connection to ${address} ended`);
    });
    return subscriber;
  }
}

/** `host:port` of a node's connection. */
function addressOf(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
