import type { JsonValue } from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsBoolean, IsDate, IsOptional, MinDate } from 'class-validator';

export class OverrideDto {
  @ApiProperty({ description: 'Whether the flag is on for this entity', example: true })
  @IsBoolean()
  enabled!: boolean;

  @ApiPropertyOptional({ description: 'For string/number/json flags: the value to serve' })
  @IsOptional()
  @Allow()
  value?: JsonValue;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The override disappears at this time (ISO 8601); omit to keep it',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'expiresAt must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date | null;
}
