import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { OWNER_ID } from './create-key.dto';

export class ListKeysQueryDto {
  @ApiProperty({ description: 'Keys are listed per owner', example: 'acme' })
  @Matches(OWNER_ID, { message: 'owner must be the ownerId of the keys to list' })
  owner!: string;
}
