import {
  FLAG_STATUSES,
  FLAG_TYPES,
  type FlagStatus,
  type FlagType,
  type JsonValue,
} from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { RuleDto } from './rule.dto';
import { VariantDto } from './variant.dto';

export const FLAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export class CreateFlagDto {
  @ApiProperty({ example: 'dark_mode' })
  @Matches(FLAG_KEY, {
    message: 'key must be 1–100 letters, digits, "_", "-" or ".", starting with a letter or digit',
  })
  key!: string;

  @ApiPropertyOptional({ description: 'Default: the key' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ enum: FLAG_TYPES, default: 'boolean' })
  @IsOptional()
  @IsIn(FLAG_TYPES)
  flagType?: FlagType;

  @ApiPropertyOptional({ enum: FLAG_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(FLAG_STATUSES)
  status?: FlagStatus;

  @ApiPropertyOptional({
    default: false,
    description: 'A boolean flag’s value when no rule applies',
  })
  @IsOptional()
  @IsBoolean()
  defaultEnabled?: boolean;

  @ApiPropertyOptional({
    description: 'A string/number/json flag’s value when no rule applies; must fit flagType',
  })
  @IsOptional()
  @Allow()
  defaultValue?: JsonValue;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, JsonValue>;

  @ApiPropertyOptional({ type: [RuleDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RuleDto)
  rules?: RuleDto[];

  @ApiPropertyOptional({ type: [VariantDto], description: 'Weights add up to 100 at most' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => VariantDto)
  variants?: VariantDto[];
}
