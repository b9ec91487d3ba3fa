import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class EvaluateQueryDto {
  @ApiProperty({ description: 'The API-key owner to evaluate the flag for', example: 'acme' })
  @IsString()
  @Length(1, 200)
  owner!: string;
}
