import {
  CONDITION_OPERATORS,
  type ConditionOperator,
  type JsonValue,
} from '@gatekeeper/feature-flags';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsIn, IsNotEmpty, IsString } from 'class-validator';

export class ConditionDto {
  @ApiProperty({
    description: 'A context field (`userId`, `country`, …) or a key of `context.attributes`',
    example: 'country',
  })
  @IsString()
  @IsNotEmpty()
  attribute!: string;

  @ApiProperty({ enum: CONDITION_OPERATORS, example: 'eq' })
  @IsIn(CONDITION_OPERATORS)
  operator!: ConditionOperator;

  @ApiProperty({ description: 'Any JSON value the operator compares with', example: 'DE' })
  @IsDefined()
  value!: JsonValue;
}
