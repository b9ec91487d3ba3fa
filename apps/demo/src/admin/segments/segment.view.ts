import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ConditionDto } from '../flags/dto/condition.dto';

/* Response shapes for the OpenAPI document; the handlers return the library's objects as they are. */

export class SegmentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true }) description!: string | null;
  @ApiProperty({ type: [ConditionDto] }) conditions!: ConditionDto[];
  @ApiPropertyOptional({ nullable: true, format: 'uuid', description: 'The parent segment id' })
  parentSegmentId!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}
