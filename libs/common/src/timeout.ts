export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * How long one storage round trip may take unless configured otherwise: a Redis command, a SQL
 * statement, the wait for a pooled SQL connection. One bound, so that every backend turns a
 * hanging server into the same fast failure (a 503, or a cached / default flag value).
 */
export const DEFAULT_STORAGE_TIMEOUT_MS = 2000;

/** Rejects with a TimeoutError when `promise` has not settled within `ms` (health pings, probes). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(promise, ms, () => new TimeoutError(`${what} timed out after ${ms} ms`));
}

export interface DeadlineHooks<T> {
  /** Runs once when the deadline passes first (drop a connection that stopped answering…). */
  onExpire?: () => void;
  /** Receives what `promise` resolves to after the deadline passed (release a late connection…). */
  onLate?: (value: T) => void;
}

/**
 * Settles like `promise`, or rejects with `error()` once `ms` have passed. A late outcome is
 * handed to `onLate` (a late failure is swallowed: the caller has had its answer).
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  error: () => Error,
  { onExpire, onLate }: DeadlineHooks<T> = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(error());
      onExpire?.();
    }, ms);
    promise.then(
      (value) => {
        if (!expired) {
          clearTimeout(timer);
          resolve(value);
        } else {
          onLate?.(value);
        }
      },
      (cause: unknown) => {
        if (expired) return;
        clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed through as is
        reject(cause);
      },
    );
  });
}
