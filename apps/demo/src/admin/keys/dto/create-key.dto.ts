import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinDate,
} from 'class-validator';

/** What `assertValidScope` in @gatekeeper/api-auth accepts: no spaces, `*` only as a suffix. */
export const SCOPE = /^(\*|[^\s*]+(:\*)?)$/;
export const OWNER_ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;

export class CreateKeyDto {
  @ApiProperty({ example: 'acme shop' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @ApiProperty({ description: 'Who the key acts for; flags are targeted by it', example: 'acme' })
  @Matches(OWNER_ID, {
    message:
      'ownerId must be 1–100 letters, digits, "_", ".", "@" or "-", starting with a letter or digit',
  })
  ownerId!: string;

  @ApiProperty({ example: ['orders:read', 'orders:write'] })
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SCOPE, {
    each: true,
    message: 'each value in scopes must be a scope such as "orders:read", "orders:*" or "*"',
  })
  scopes!: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Omit for a key that never expires',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'expiresAt must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}
