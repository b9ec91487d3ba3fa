/**
 * Where a module reads the time, in epoch milliseconds. Each module binds one instance (feature
 * flags under `FEATURE_FLAGS_CLOCK`); tests override it to move cache ttls without sleeping.
 */
export interface Clock {
  now(): number;
}

/**
 * `Date.now()` read once per event-loop turn. A clock read costs tens of nanoseconds on some
 * hosts — more than a cache hit — and a request evaluating several flags would pay it for each.
 * Within one turn of the loop the time is taken as constant, so expiry is late by at most the
 * length of the current turn; nothing is scheduled while the clock is not read. Each module
 * creates its own: no state is shared between instances.
 */
export class TurnClock implements Clock {
  private current = 0;
  private pending = false;
  private readonly endTurn = (): void => {
    this.pending = false;
  };

  constructor(private readonly source: () => number = Date.now) {}

  /** An arrow property, so `clock.now` can be handed on as a plain function. */
  readonly now = (): number => {
    if (!this.pending) {
      this.pending = true;
      this.current = this.source();
      setImmediate(this.endTurn).unref();
    }
    return this.current;
  };
}
