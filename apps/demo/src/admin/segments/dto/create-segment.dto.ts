import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ConditionDto } from '../../flags/dto/condition.dto';

/** Segments are addressed by name in URLs and in `in_segment` conditions. */
export const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const SEGMENT_NAME_MESSAGE =
  'must be 1–100 letters, digits, "_", "-" or ".", starting with a letter or digit';

export class CreateSegmentDto {
  @ApiProperty({ description: 'Unique; used in URLs and in rules', example: 'beta-testers' })
  @Matches(SEGMENT_NAME, { message: `name ${SEGMENT_NAME_MESSAGE}` })
  name!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ type: [ConditionDto], description: 'ANDed; none = every context' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];

  @ApiPropertyOptional({
    nullable: true,
    description: 'The name of the segment this one narrows down: members must be in it too',
    example: 'eu',
  })
  @IsOptional()
  @Matches(SEGMENT_NAME, { message: `parent ${SEGMENT_NAME_MESSAGE}` })
  parent?: string | null;

  @ApiPropertyOptional({ default: true, description: 'A disabled segment has no members' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
