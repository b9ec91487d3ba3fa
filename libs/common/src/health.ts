import { Inject, type Provider, type Type } from '@nestjs/common';
// Type-only: @nestjs/terminus is an optional peer, provided by the modules when installed.
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { requireDriver } from './driver';
import { MissingDriverError } from './errors';
import { describeError } from './redact';
import { TimeoutError, withTimeout } from './timeout';

/**
 * Internal: Terminus' HealthIndicatorService, provided by each module only when the optional
 * peer is installed. The name is what Nest prints when it cannot be resolved.
 */
export const HEALTH_INDICATOR_SERVICE =
  'HealthIndicatorService (install @nestjs/terminus to use FeatureFlagsHealthIndicator or ApiAuthHealthIndicator)';

/**
 * A module's Terminus health indicator: its providers and exports, or none when the optional
 * `@nestjs/terminus` peer is not installed. The indicator injects Terminus'
 * `HealthIndicatorService` under `HEALTH_INDICATOR_SERVICE`, so the module works with or
 * without Terminus; that token is exported too, so that the indicator also works when listed in
 * another module's providers.
 */
export function optionalHealthIndicator(indicator: Type): {
  providers: Provider[];
  exports: Array<Type | string>;
} {
  let terminus: typeof import('@nestjs/terminus');
  try {
    terminus = requireDriver<typeof import('@nestjs/terminus')>('@nestjs/terminus', 'health');
  } catch (error) {
    if (error instanceof MissingDriverError) return { providers: [], exports: [] };
    throw error;
  }
  return {
    providers: [
      { provide: HEALTH_INDICATOR_SERVICE, useClass: terminus.HealthIndicatorService },
      indicator,
    ],
    exports: [HEALTH_INDICATOR_SERVICE, indicator],
  };
}

/** Options of a module's `isHealthy(key, options)`. */
export interface StorageHealthCheckOptions {
  /** A storage slower than this many milliseconds is reported down. Default 1000. */
  timeout?: number;
}

/**
 * Both modules' Terminus health indicators: `isHealthy(key, { timeout = 1000 })` is `up` with
 * what `probe()` returns, `down` with a reason when it returns `false` (the storage says it is
 * unhealthy), throws, or takes longer than the timeout. Never throws: Terminus turns a throw into
 * a 500 instead of a 503. Subclasses inject their storage; Terminus' service is injected here.
 */
export abstract class StorageHealthIndicator<DefaultKey extends string> {
  @Inject(HEALTH_INDICATOR_SERVICE)
  private readonly healthIndicatorService!: HealthIndicatorService;

  protected constructor(private readonly defaultKey: DefaultKey) {}

  async isHealthy<const Key extends string = DefaultKey>(
    key: Key = this.defaultKey as string as Key,
    { timeout = 1000 }: StorageHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    try {
      // Through a promise chain, so that a probe throwing synchronously is reported too.
      const details = await withTimeout(
        Promise.resolve().then(() => this.probe()),
        timeout,
        '',
      );
      return details ? indicator.up(details) : indicator.down({ reason: 'storage is unreachable' });
    } catch (error) {
      const reason =
        error instanceof TimeoutError
          ? `storage did not answer within ${timeout} ms`
          : `storage health check failed: ${describeError(error)}`;
      return indicator.down({ reason });
    }
  }

  /** What "up" reports, or `false` when the storage says it is unhealthy. */
  protected abstract probe(): Promise<Record<string, unknown> | false>;
}
