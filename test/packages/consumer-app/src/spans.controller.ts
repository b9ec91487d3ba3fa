import { Controller, Get } from '@nestjs/common';
import { finishedSpans } from './tracing.js';

@Controller('spans')
export class SpansController {
  @Get()
  list(): Array<{ name: string; attributes: Record<string, unknown> }> {
    return finishedSpans
      .getFinishedSpans()
      .map(({ name, attributes }) => ({ name, attributes: { ...attributes } }));
  }
}
