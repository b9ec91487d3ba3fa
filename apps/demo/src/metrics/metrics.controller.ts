import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { register } from 'prom-client';

/**
 * Prometheus scrape endpoint: prom-client's default registry, where both modules register their
 * metrics (`metrics: true`). Public, like `/health` and as Prometheus expects by default: the
 * labels hold flag keys, reasons and result codes, never a key or a user id. Behind a proxy,
 * keep `/metrics` on the internal network.
 */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Public. Text exposition format.' })
  @ApiOkResponse({ description: 'The gatekeeper_* metrics' })
  metrics(): Promise<string> {
    return register.metrics();
  }
}
