import { FLAG_STATUSES, FLAG_TYPES } from '@gatekeeper/feature-flags';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ConditionDto } from './dto/condition.dto';

/* Response shapes for the OpenAPI document; the handlers return the library's objects as they are. */

export class RuleView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true }) description!: string | null;
  @ApiProperty() priority!: number;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: [ConditionDto] }) conditions!: ConditionDto[];
  @ApiProperty() serveEnabled!: boolean;
  @ApiPropertyOptional({ nullable: true }) serveValue!: unknown;
  @ApiPropertyOptional({ nullable: true, description: 'null = everyone' })
  rolloutPercentage!: number | null;
}

export class VariantView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() key!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true }) description!: string | null;
  @ApiProperty() value!: unknown;
  @ApiProperty() weight!: number;
}

export class FlagView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() key!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true }) description!: string | null;
  @ApiProperty({ enum: FLAG_TYPES }) flagType!: string;
  @ApiProperty({ enum: FLAG_STATUSES }) status!: string;
  @ApiProperty() defaultEnabled!: boolean;
  @ApiPropertyOptional({ nullable: true }) defaultValue!: unknown;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: object;
  @ApiProperty({ type: [RuleView] }) rules!: RuleView[];
  @ApiProperty({ type: [VariantView] }) variants!: VariantView[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiProperty({ description: '1 when created, +1 on every change; the ETag of the flag' })
  version!: number;
}

export class OverrideView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) flagId!: string;
  @ApiProperty() entityType!: string;
  @ApiProperty() entityId!: string;
  @ApiProperty() enabled!: boolean;
  @ApiPropertyOptional({ nullable: true }) value!: unknown;
  @ApiPropertyOptional({ nullable: true }) expiresAt!: Date | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class EvaluationView {
  @ApiProperty() flagKey!: string;
  @ApiProperty() value!: unknown;
  @ApiProperty({ example: 'TARGETING_MATCH' }) reason!: string;
  @ApiPropertyOptional({ nullable: true }) variant!: string | null;
  @ApiPropertyOptional({ nullable: true }) errorCode!: string | null;
  @ApiPropertyOptional({ nullable: true }) errorMessage!: string | null;
}
