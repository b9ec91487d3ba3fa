/** Where the service reads the time. Bound to `API_AUTH_CLOCK`; override it to test expiry and rotation. */
export interface ApiAuthClock {
  now(): Date;
}

export const systemClock: ApiAuthClock = { now: () => new Date() };
