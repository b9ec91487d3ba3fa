import { ApiHideProperty, ApiProperty } from '@nestjs/swagger';
import { IsEmpty, IsString, Length } from 'class-validator';

export class EvaluateQueryDto {
  @ApiProperty({ description: 'The API-key owner to evaluate the flag for', example: 'acme' })
  @IsString()
  @Length(1, 200)
  ownerId!: string;

  /** Renamed to `ownerId`, like everywhere else; answered with a 400 naming it. */
  @ApiHideProperty()
  @IsEmpty({ message: 'owner is now called ownerId: …/evaluation?ownerId=<owner>' })
  owner?: never;
}
