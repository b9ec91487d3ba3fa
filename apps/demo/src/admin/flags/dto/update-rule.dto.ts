import { PartialType } from '@nestjs/swagger';
import { RuleDto } from './rule.dto';

/** Fields of the rule to change; `conditions`, when given, replaces the list. */
export class UpdateRuleDto extends PartialType(RuleDto) {}
