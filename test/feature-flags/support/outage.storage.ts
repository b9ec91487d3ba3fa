import {
  MemoryFeatureFlagStorage,
  type CreateFlagInput,
  type CreateOverrideInput,
  type FeatureFlag,
  type FeatureFlagStorage,
  type FlagOverride,
} from '@gatekeeper/feature-flags';

/** What a driver says when the server is gone; it quotes the URL, password included. */
export const OUTAGE_MESSAGE = 'connect ECONNREFUSED redis://admin:s3cret-pw@10.0.0.7:6379';

/**
 * A custom storage, the kind users plug in with the `storage` option, over the real memory
 * storage: it can lose its backend (`down`) or stop answering (`hang`) on command, to show how
 * the client, guard and health indicator behave in an outage.
 */
export class OutageStorage implements FeatureFlagStorage {
  state: 'up' | 'down' | 'hang' = 'up';
  /** Limits the outage to these methods (say, only override lookups); all when empty. */
  affected: Array<keyof FeatureFlagStorage> = [];
  closed = false;
  private readonly stalled = new Set<() => void>();

  constructor(readonly inner: FeatureFlagStorage = new MemoryFeatureFlagStorage()) {}

  /** Lets calls stuck in `hang` finish (with the outage error), so no test leaves them pending. */
  release(): void {
    for (const resume of this.stalled) resume();
    this.stalled.clear();
  }

  getFlag(key: string): Promise<FeatureFlag | null> {
    return this.call('getFlag', () => this.inner.getFlag(key));
  }

  getFlags(keys: readonly string[]): Promise<Map<string, FeatureFlag>> {
    return this.call('getFlags', () => this.inner.getFlags(keys));
  }

  getAllActiveFlags(): Promise<FeatureFlag[]> {
    return this.call('getAllActiveFlags', () => this.inner.getAllActiveFlags());
  }

  getOverride(flagId: string, entityType: string, entityId: string): Promise<FlagOverride | null> {
    return this.call('getOverride', () => this.inner.getOverride(flagId, entityType, entityId));
  }

  createFlag(input: CreateFlagInput): Promise<FeatureFlag> {
    return this.call('createFlag', () => this.inner.createFlag(input));
  }

  updateFlag(flag: FeatureFlag): Promise<FeatureFlag> {
    return this.call('updateFlag', () => this.inner.updateFlag(flag));
  }

  deleteFlag(key: string): Promise<boolean> {
    return this.call('deleteFlag', () => this.inner.deleteFlag(key));
  }

  createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    return this.call('createOverride', () => this.inner.createOverride(input));
  }

  deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    return this.call('deleteOverride', () =>
      this.inner.deleteOverride(flagId, entityType, entityId),
    );
  }

  async healthCheck(): Promise<boolean> {
    try {
      return await this.call('healthCheck', () => this.inner.healthCheck());
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.release();
    await this.inner.close();
  }

  private async call<T>(method: keyof FeatureFlagStorage, operation: () => Promise<T>): Promise<T> {
    if (this.affected.length > 0 && !this.affected.includes(method)) return operation();
    if (this.state === 'hang') {
      await new Promise<void>((resume) => this.stalled.add(resume));
      throw new Error(OUTAGE_MESSAGE);
    }
    if (this.state === 'down') throw new Error(OUTAGE_MESSAGE);
    return operation();
  }
}
