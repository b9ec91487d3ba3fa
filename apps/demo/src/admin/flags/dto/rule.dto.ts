import type { JsonValue } from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ConditionDto } from './condition.dto';

/** Rules are addressed by name in the admin API, so names are short and URL-friendly. */
export const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class RuleDto {
  @ApiProperty({ description: 'Unique within the flag; used in URLs', example: 'rollout' })
  @Matches(RULE_NAME, {
    message: 'name must be 1–64 letters, digits, "_", "-" or ".", starting with a letter or digit',
  })
  name!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'Lower runs first. Default: the position in the list' })
  @IsOptional()
  @IsInt()
  @Min(0)
  priority?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [ConditionDto], description: 'ANDed; none = everyone' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];

  @ApiPropertyOptional({ default: true, description: 'What a boolean flag serves on a match' })
  @IsOptional()
  @IsBoolean()
  serveEnabled?: boolean;

  @ApiPropertyOptional({ description: 'What a string/number/json flag serves on a match' })
  @IsOptional()
  @Allow()
  serveValue?: JsonValue;

  @ApiPropertyOptional({
    nullable: true,
    minimum: 0,
    maximum: 100,
    description: 'Share of matching owners, by owner id; null = everyone',
    example: 20,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  rolloutPercentage?: number | null;
}
