/**
 * A change to stored flags, as a storage (or the in-process cache) reports it:
 * - `flag`: the flag `key` was created, updated or deleted;
 * - `override`: an override of the flag whose id is `flagId` was created or deleted;
 * - `all`: anything may have changed (the invalidation bus reconnected: messages may be lost).
 */
export type FlagsChanged =
  { kind: 'flag'; key: string } | { kind: 'override'; flagId: string } | { kind: 'all' };

export type FlagsChangedListener = (change: FlagsChanged) => void;

/**
 * The listeners of one change source. A listener that throws is skipped: a listener must never
 * break the write or the invalidation that reports the change.
 */
export class FlagsChangedListeners {
  private readonly listeners = new Set<FlagsChangedListener>();

  get size(): number {
    return this.listeners.size;
  }

  /** Adds `listener`; the returned function removes it. */
  add(listener: FlagsChangedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(change: FlagsChanged): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own (see the class comment).
      }
    }
  }
}
