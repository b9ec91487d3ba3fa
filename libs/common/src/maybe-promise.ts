/** A value now, or later: hot paths answer synchronously when they can and the caller checks once. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** Whether `value` is a thenable. A primitive is not, without a `then` lookup on its prototype. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as Partial<PromiseLike<T>>).then === 'function'
  );
}
