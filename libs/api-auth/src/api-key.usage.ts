import { describeError } from '@gatekeeper/common';
import type { Logger } from '@nestjs/common';
import { timeOf, type ApiKey } from './models/api-key.model';
import type { ApiKeyStorage } from './storage/api-key-storage.interface';
import { ApiKeyVersionConflictError } from './storage/storage.errors';

/** Above this many remembered keys, entries older than the interval are swept. */
const SWEEP_SIZE = 10_000;

/**
 * Records `lastUsedAt` at most once per interval per key, without delaying verification: the
 * write runs after `verify()` returns, and its failure is logged, never thrown.
 */
export class ApiKeyUsageRecorder {
  /** When this instance last recorded a use per key id: throttles writes between storage reads. */
  private readonly lastTouched = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly storage: ApiKeyStorage,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  record(apiKey: ApiKey, now: Date): void {
    const nowMs = now.getTime();
    const storedMs = apiKey.lastUsedAt ? timeOf(apiKey.lastUsedAt) : -Infinity;
    const touchedMs = this.lastTouched.get(apiKey.id) ?? -Infinity;
    if (nowMs - Math.max(storedMs, touchedMs) < this.intervalMs) return;
    if (this.intervalMs > 0) this.remember(apiKey.id, nowMs);

    const pending: Promise<void> = Promise.resolve()
      .then(() => touchApiKey(this.storage, apiKey.id, now))
      .catch((error: unknown) => {
        this.logger.warn(`Could not record use of API key ${apiKey.id}: ${describeError(error)}`);
      })
      .finally(() => this.pending.delete(pending));
    this.pending.add(pending);
  }

  /** Forgets a deleted key. */
  forget(id: string): void {
    this.lastTouched.delete(id);
  }

  /** Resolves once the writes in flight have finished (or failed). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private remember(id: string, nowMs: number): void {
    this.lastTouched.set(id, nowMs);
    if (this.lastTouched.size <= SWEEP_SIZE) return;
    for (const [key, at] of this.lastTouched) {
      if (nowMs - at >= this.intervalMs) this.lastTouched.delete(key);
    }
  }
}

/**
 * `storage.touch`, else `update()`, which keeps a revocation and the later `lastUsedAt`. The update
 * is based on the version read, so it never undoes a concurrent change; when it conflicts, this use
 * goes unrecorded (`lastUsedAt` is advisory, the next use records it).
 */
export async function touchApiKey(storage: ApiKeyStorage, id: string, at: Date): Promise<void> {
  if (storage.touch) return storage.touch(id, at);
  const current = await storage.getById(id);
  if (!current) return;
  try {
    await storage.update({ ...current, lastUsedAt: at });
  } catch (error) {
    if (!(error instanceof ApiKeyVersionConflictError)) throw error;
  }
}
