import { OVERRIDE_ENTITY_TYPES, type OverrideEntityType } from '@gatekeeper/feature-flags';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';

export class OverrideParamsDto {
  @ApiProperty({ example: 'new_checkout' })
  @IsString()
  key!: string;

  @ApiProperty({
    enum: OVERRIDE_ENTITY_TYPES,
    description: 'The demo puts the API-key owner in `user` (and the targeting key)',
  })
  @IsIn(OVERRIDE_ENTITY_TYPES)
  entityType!: OverrideEntityType;

  @ApiProperty({ example: 'acme' })
  @IsString()
  @Length(1, 200)
  entityId!: string;
}
