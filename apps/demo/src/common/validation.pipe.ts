import { ValidationPipe } from '@nestjs/common';

/**
 * Bodies, params and queries are checked against their DTO before a handler runs: unknown fields
 * and wrong types get a 400 listing every problem, and nothing is written.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
  });
}
