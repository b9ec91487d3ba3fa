import type { JsonValue } from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { ENVIRONMENT_SLUG } from '../../../config/demo.config';

const SLUG_MESSAGE =
  'must be 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit';

export class CreateEnvironmentDto {
  @ApiProperty({
    description: 'Unique; what URLs and GATEKEEPER_ENVIRONMENT name it by',
    example: 'dev-alice',
  })
  @Matches(ENVIRONMENT_SLUG, { message: `slug ${SLUG_MESSAGE}` })
  slug!: string;

  @ApiProperty({ example: 'Alice’s dev box' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    description: 'The slug of the environment this one inherits every unset flag setting from',
    example: 'staging',
  })
  @IsOptional()
  @Matches(ENVIRONMENT_SLUG, { message: `parent ${SLUG_MESSAGE}` })
  parent?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Free-form, for applications; evaluation does not read it',
  })
  @IsOptional()
  @IsObject()
  settings?: Record<string, JsonValue>;

  @ApiPropertyOptional({
    default: true,
    description: 'An inactive environment is skipped: its parent’s settings apply instead',
  })
  @IsOptional()
  @IsBoolean()
  isActive?: boolean;
}
