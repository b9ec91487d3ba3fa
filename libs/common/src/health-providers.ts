import type { Provider, Type } from '@nestjs/common';
import { MissingDriverError } from './errors';
import { requireDriver } from './driver';

/**
 * Providers for a module's Terminus health indicator, or none when the optional
 * `@nestjs/terminus` peer is not installed. The indicator injects Terminus'
 * `HealthIndicatorService` under `serviceToken`, so the module works with or without Terminus.
 */
export function optionalHealthProviders(
  serviceToken: string | symbol,
  indicator: Type,
): Provider[] {
  let terminus: typeof import('@nestjs/terminus');
  try {
    terminus = requireDriver<typeof import('@nestjs/terminus')>('@nestjs/terminus', 'health');
  } catch (error) {
    if (error instanceof MissingDriverError) return [];
    throw error;
  }
  return [{ provide: serviceToken, useClass: terminus.HealthIndicatorService }, indicator];
}
