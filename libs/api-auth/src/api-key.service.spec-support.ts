import type { ApiAuthClock } from './api-auth.clock';

/** What the service specs set the time with (never part of the build: `*.spec-support.ts`). */
export class FakeClock implements ApiAuthClock {
  private current = new Date('2030-01-01T00:00:00Z').getTime();

  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}
