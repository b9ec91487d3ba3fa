import { RequireScopes } from '@gatekeeper/api-auth';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Scopes } from '../gatekeeper/demo.constants';
import { ApiKeyProtected } from '../openapi/api-key-protected.decorator';

/**
 * Prometheus scrape endpoint: prom-client's default registry, where both modules register their
 * metrics (`metrics: true`). Behind a scope, since flag names and traffic are not public: give
 * the scraper a key with only `metrics:read` (Prometheus sends it as `authorization.credentials`).
 */
@ApiTags('metrics')
@ApiKeyProtected()
@Controller('metrics')
export class MetricsController {
  @Get()
  @RequireScopes(Scopes.metricsRead)
  @Header('Content-Type', register.contentType)
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'Scope `metrics:read`. Text exposition format.',
  })
  @ApiOkResponse({ description: 'gatekeeper_* metrics, and the process metrics you register' })
  metrics(): Promise<string> {
    return register.metrics();
  }
}
