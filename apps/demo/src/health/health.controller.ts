import { ApiAuthHealthIndicator } from '@gatekeeper/api-auth';
import { FeatureFlagsHealthIndicator } from '@gatekeeper/feature-flags';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { StoreHealthIndicator } from './store.health';

const TIMEOUT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly flags: FeatureFlagsHealthIndicator,
    private readonly apiAuth: ApiAuthHealthIndicator,
    private readonly store: StoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness and storage health',
    description:
      'Public. 200 when the flag storage, the key storage and the database or Redis server answer; 503 otherwise.',
  })
  check() {
    const checks: HealthIndicatorFunction[] = [
      () => this.flags.isHealthy('feature_flags', { timeout: TIMEOUT_MS }),
      () => this.apiAuth.isHealthy('api_auth', { timeout: TIMEOUT_MS }),
    ];
    if (this.store.enabled) checks.push(() => this.store.isHealthy());
    return this.health.check(checks);
  }
}
