/** Anything with an asynchronous `close()`: storages, caches, buses. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * The storage a module serves, with what the module must release at shutdown. Ownership is
 * decided once, where the storage is built: `close()` releases what the module created (storages,
 * clients, DataSources), never an instance or client the application handed in.
 */
export interface StorageHandle<S> {
  readonly storage: S;
  close(): Promise<void>;
}

/** A storage the module created: closing the handle closes it, then runs `also` in order. */
export function ownedHandle<S extends Closable>(
  storage: S,
  ...also: Array<() => Promise<void>>
): StorageHandle<S> {
  const closers = [() => storage.close(), ...also];
  return {
    storage,
    // Every closer runs even when one fails; the first failure is rethrown.
    close: async () => {
      const failures: unknown[] = [];
      for (const close of closers) await close().catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw failures[0];
    },
  };
}

/** A storage the application handed in: the module uses it and leaves it open. */
export function borrowedHandle<S>(storage: S): StorageHandle<S> {
  return { storage, close: async () => undefined };
}
