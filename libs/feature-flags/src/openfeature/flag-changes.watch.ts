import type { FeatureFlag, FlagOverride } from '../models/feature-flag.model';
import type { FeatureFlagStorage } from '../storage/feature-flag-storage.interface';
import {
  FlagsChangedListeners,
  type FlagsChanged,
  type FlagsChangedListener,
} from '../storage/flag-changes';

/** A storage that reports its changes itself (the `localCache` storage, or a custom one). */
interface ReportsChanges {
  onFlagsChanged(listener: FlagsChangedListener): () => void;
}

function reportsChanges(storage: object): storage is ReportsChanges {
  return typeof (storage as Partial<ReportsChanges>).onFlagsChanged === 'function';
}

/** The listeners of storages whose writes are watched by wrapping (see `watchFlagChanges`). */
const wrapped = new WeakMap<FeatureFlagStorage, FlagsChangedListeners>();

/**
 * Calls `listener` after each change to `storage`'s flags; returns a function that stops it.
 * - A storage with `onFlagsChanged(listener)` reports its own changes: the `localCache` storage
 *   reports writes made through it and, over its Redis invalidation bus, those of every other
 *   instance. Custom storages may implement the same method.
 * - Any other storage (memory, SQL or Redis without `localCache`) reports the writes made through
 *   this object: its write methods are wrapped, once, on the instance. Writes made by other
 *   processes are not seen; use `localCache` for that.
 */
export function watchFlagChanges(
  storage: FeatureFlagStorage,
  listener: FlagsChangedListener,
): () => void {
  if (reportsChanges(storage)) return storage.onFlagsChanged(listener);
  let listeners = wrapped.get(storage);
  if (!listeners) {
    listeners = new FlagsChangedListeners();
    wrapped.set(storage, listeners);
    wrapWrites(storage, listeners);
  }
  return listeners.add(listener);
}

/** Each write method reports its change once it has succeeded. */
function wrapWrites(storage: FeatureFlagStorage, listeners: FlagsChangedListeners): void {
  type Write = (...args: unknown[]) => Promise<unknown>;
  const methods = storage as unknown as Record<string, Write>;
  const wrap = (
    name: keyof FeatureFlagStorage,
    changeOf: (result: unknown, args: unknown[]) => FlagsChanged | null,
  ): void => {
    const write = methods[name];
    methods[name] = async (...args: unknown[]) => {
      const result = await write.apply(storage, args);
      const change = changeOf(result, args);
      if (change && listeners.size > 0) listeners.emit(change);
      return result;
    };
  };
  const flagKey = (flag: unknown) => (flag as FeatureFlag).key;
  wrap('createFlag', (flag) => ({ kind: 'flag', key: flagKey(flag) }));
  wrap('updateFlag', (flag) => ({ kind: 'flag', key: flagKey(flag) }));
  wrap('deleteFlag', (deleted, [key]) => (deleted ? { kind: 'flag', key: String(key) } : null));
  wrap('createOverride', (override) => ({
    kind: 'override',
    flagId: (override as FlagOverride).flagId,
  }));
  wrap('deleteOverride', (deleted, [flagId]) =>
    deleted ? { kind: 'override', flagId: String(flagId) } : null,
  );
  // A segment may decide any flag that names it (or a segment below it).
  for (const name of ['createSegment', 'updateSegment', 'deleteSegment'] as const) {
    if (typeof storage[name] === 'function') wrap(name, () => ({ kind: 'all' }));
  }
}
