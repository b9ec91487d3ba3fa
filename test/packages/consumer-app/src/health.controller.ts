import { ApiAuthHealthIndicator } from '@gatekeeper/api-auth';
import { FeatureFlagsHealthIndicator } from '@gatekeeper/feature-flags';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly flags: FeatureFlagsHealthIndicator,
    private readonly apiAuth: ApiAuthHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.flags.isHealthy(), () => this.apiAuth.isHealthy()]);
  }
}
