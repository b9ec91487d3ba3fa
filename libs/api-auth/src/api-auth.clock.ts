/** Where the service reads the time. Bound to `API_AUTH_CLOCK`; override it to test expiry and rotation. */
export interface ApiAuthClock {
  now(): Date;
}

/** Internal: the clock the module binds by default. */
export const systemClock: ApiAuthClock = { now: () => new Date() };
