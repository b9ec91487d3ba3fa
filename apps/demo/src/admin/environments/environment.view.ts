import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RuleView, VariantView } from '../flags/flag.view';

/* Response shapes for the OpenAPI document; the handlers return the library's objects as they are. */

export class EnvironmentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'staging' }) slug!: string;
  @ApiPropertyOptional({ nullable: true }) description!: string | null;
  @ApiPropertyOptional({ nullable: true, format: 'uuid', description: 'The parent environment id' })
  parentId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) settings!: object;
  @ApiProperty() isActive!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class EnvironmentFlagView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) environmentId!: string;
  @ApiProperty({ format: 'uuid' }) flagId!: string;
  @ApiPropertyOptional({ nullable: true, description: 'null: inherited' })
  enabled!: boolean | null;
  @ApiPropertyOptional({ nullable: true, description: 'null: inherited' })
  percentage!: number | null;
  @ApiPropertyOptional({ type: [RuleView], nullable: true, description: 'null: inherited' })
  rules!: RuleView[] | null;
  @ApiPropertyOptional({ type: [VariantView], nullable: true, description: 'null: inherited' })
  variants!: VariantView[] | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}
