import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_GRACE_PERIOD_SECONDS = 30 * 24 * 3600;

export class RotateKeyDto {
  @ApiPropertyOptional({
    default: 0,
    maximum: MAX_GRACE_PERIOD_SECONDS,
    description: 'How long the old key keeps working, in seconds',
    example: 3600,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_PERIOD_SECONDS)
  gracePeriodSeconds?: number;
}
