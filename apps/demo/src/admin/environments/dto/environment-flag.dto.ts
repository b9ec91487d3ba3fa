import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { RuleDto } from '../../flags/dto/rule.dto';
import { VariantDto } from '../../flags/dto/variant.dto';

/** How a flag behaves in one environment: every field left out or `null` is inherited. */
export class EnvironmentFlagDto {
  @ApiPropertyOptional({
    nullable: true,
    description: 'false: off here (reason DISABLED); true: on here; null: inherit',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean | null;

  @ApiPropertyOptional({
    nullable: true,
    minimum: 0,
    maximum: 100,
    description: 'Replaces the rollout percentage of the flag’s rollout rules; null: inherit',
    example: 100,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  percentage?: number | null;

  @ApiPropertyOptional({
    type: [RuleDto],
    nullable: true,
    description: 'Replaces the flag’s rules; null: inherit',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RuleDto)
  rules?: RuleDto[] | null;

  @ApiPropertyOptional({
    type: [VariantDto],
    nullable: true,
    description: 'Replaces the flag’s variants (weights add up to 100 at most); null: inherit',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => VariantDto)
  variants?: VariantDto[] | null;
}
