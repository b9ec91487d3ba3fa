import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmpty,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../key-listing/key-listing';
import { OWNER_ID } from './create-key.dto';

export class ListKeysQueryDto {
  @ApiPropertyOptional({
    description: "Only this owner's keys; every key when omitted",
    example: 'acme',
  })
  @IsOptional()
  @Matches(OWNER_ID, { message: 'ownerId must be the ownerId of the keys to list' })
  ownerId?: string;

  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;

  /** Renamed to `ownerId`, like the field of the keys themselves; answered with a 400 naming it. */
  @ApiHideProperty()
  @IsEmpty({ message: 'owner is now called ownerId: GET /admin/keys?ownerId=<owner>' })
  owner?: never;
}
