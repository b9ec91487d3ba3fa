import type { JsonValue } from '../models/feature-flag.model';
import type { Environment, EnvironmentFlag } from '../models/environment.model';
import type {
  RolloutPhase,
  ScheduledChangeType,
  ScheduledFlagChange,
} from '../models/scheduled-change.model';
import type { TimeSchedule, TimeScheduleRecurrence } from '../models/time-schedule.model';
import {
  parseRule,
  parseTimestamp,
  parseVariant,
  ruleDocument,
  variantDocument,
  type RuleDocument,
  type VariantDocument,
} from './redis.codec';

/*
 * The documents of the records litestar-flags keeps out of Redis (environments, schedules): ours,
 * in the conventions of redis.codec.ts (snake_case fields, ISO-8601 timestamps, rules and variants
 * as a flag document embeds them), so that one reader of the keyspace understands them all.
 */

interface EnvironmentDocument {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  parent_id: string | null;
  settings: Record<string, JsonValue>;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

interface EnvironmentFlagDocument {
  id: string;
  environment_id: string;
  flag_id: string;
  enabled: boolean | null;
  percentage: number | null;
  rules: RuleDocument[] | null;
  variants: VariantDocument[] | null;
  created_at: string;
  updated_at: string;
}

interface ScheduledChangeDocument {
  id: string;
  flag_id: string;
  change_type: ScheduledChangeType;
  scheduled_at: string;
  executed: boolean;
  executed_at: string | null;
  new_value: JsonValue;
  new_rollout_percentage: number | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

interface RolloutPhaseDocument {
  id: string;
  flag_id: string;
  phase_number: number;
  target_percentage: number;
  scheduled_at: string;
  executed: boolean;
  executed_at: string | null;
  created_at: string;
  updated_at: string;
}

interface TimeScheduleDocument {
  id: string;
  flag_id: string;
  name: string;
  recurrence_type: TimeScheduleRecurrence;
  start_time: string | null;
  end_time: string | null;
  days_of_week: number[] | null;
  days_of_month: number[] | null;
  cron_expression: string | null;
  timezone: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export function serializeEnvironment(environment: Environment): string {
  const document: EnvironmentDocument = {
    id: environment.id,
    name: environment.name,
    slug: environment.slug,
    description: environment.description,
    parent_id: environment.parentId,
    settings: environment.settings,
    is_active: environment.isActive,
    created_at: environment.createdAt.toISOString(),
    updated_at: environment.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseEnvironment(json: string): Environment {
  const document = JSON.parse(json) as Partial<EnvironmentDocument>;
  return {
    id: document.id ?? '',
    name: document.name ?? '',
    slug: document.slug ?? '',
    description: document.description ?? null,
    parentId: document.parent_id ?? null,
    settings: document.settings ?? {},
    isActive: document.is_active ?? true,
    createdAt: date(document.created_at),
    updatedAt: date(document.updated_at),
  };
}

export function serializeEnvironmentFlag(environmentFlag: EnvironmentFlag): string {
  const document: EnvironmentFlagDocument = {
    id: environmentFlag.id,
    environment_id: environmentFlag.environmentId,
    flag_id: environmentFlag.flagId,
    enabled: environmentFlag.enabled,
    percentage: environmentFlag.percentage,
    rules: environmentFlag.rules?.map(ruleDocument) ?? null,
    variants: environmentFlag.variants?.map(variantDocument) ?? null,
    created_at: environmentFlag.createdAt.toISOString(),
    updated_at: environmentFlag.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseEnvironmentFlag(json: string): EnvironmentFlag {
  const document = JSON.parse(json) as Partial<EnvironmentFlagDocument>;
  return {
    id: document.id ?? '',
    environmentId: document.environment_id ?? '',
    flagId: document.flag_id ?? '',
    enabled: document.enabled ?? null,
    percentage: document.percentage ?? null,
    rules: document.rules?.map(parseRule) ?? null,
    variants: document.variants?.map(parseVariant) ?? null,
    createdAt: date(document.created_at),
    updatedAt: date(document.updated_at),
  };
}

export function serializeScheduledChange(change: ScheduledFlagChange): string {
  const document: ScheduledChangeDocument = {
    id: change.id,
    flag_id: change.flagId,
    change_type: change.changeType,
    scheduled_at: change.scheduledAt.toISOString(),
    executed: change.executed,
    executed_at: change.executedAt?.toISOString() ?? null,
    new_value: change.newValue,
    new_rollout_percentage: change.newRolloutPercentage,
    created_by: change.createdBy,
    created_at: change.createdAt.toISOString(),
    updated_at: change.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseScheduledChange(json: string): ScheduledFlagChange {
  const document = JSON.parse(json) as Partial<ScheduledChangeDocument>;
  return {
    id: document.id ?? '',
    flagId: document.flag_id ?? '',
    changeType: document.change_type ?? 'enable',
    scheduledAt: date(document.scheduled_at),
    executed: document.executed ?? false,
    executedAt: parseTimestamp(document.executed_at),
    newValue: document.new_value ?? null,
    newRolloutPercentage: document.new_rollout_percentage ?? null,
    createdBy: document.created_by ?? null,
    createdAt: date(document.created_at),
    updatedAt: date(document.updated_at),
  };
}

export function serializeRolloutPhase(phase: RolloutPhase): string {
  const document: RolloutPhaseDocument = {
    id: phase.id,
    flag_id: phase.flagId,
    phase_number: phase.phaseNumber,
    target_percentage: phase.targetPercentage,
    scheduled_at: phase.scheduledAt.toISOString(),
    executed: phase.executed,
    executed_at: phase.executedAt?.toISOString() ?? null,
    created_at: phase.createdAt.toISOString(),
    updated_at: phase.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseRolloutPhase(json: string): RolloutPhase {
  const document = JSON.parse(json) as Partial<RolloutPhaseDocument>;
  return {
    id: document.id ?? '',
    flagId: document.flag_id ?? '',
    phaseNumber: document.phase_number ?? 0,
    targetPercentage: document.target_percentage ?? 0,
    scheduledAt: date(document.scheduled_at),
    executed: document.executed ?? false,
    executedAt: parseTimestamp(document.executed_at),
    createdAt: date(document.created_at),
    updatedAt: date(document.updated_at),
  };
}

export function serializeTimeSchedule(schedule: TimeSchedule): string {
  const document: TimeScheduleDocument = {
    id: schedule.id,
    flag_id: schedule.flagId,
    name: schedule.name,
    recurrence_type: schedule.recurrenceType,
    start_time: schedule.startTime,
    end_time: schedule.endTime,
    days_of_week: schedule.daysOfWeek,
    days_of_month: schedule.daysOfMonth,
    cron_expression: schedule.cronExpression,
    timezone: schedule.timezone,
    enabled: schedule.enabled,
    created_at: schedule.createdAt.toISOString(),
    updated_at: schedule.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseTimeSchedule(json: string): TimeSchedule {
  const document = JSON.parse(json) as Partial<TimeScheduleDocument>;
  return {
    id: document.id ?? '',
    flagId: document.flag_id ?? '',
    name: document.name ?? '',
    recurrenceType: document.recurrence_type ?? 'daily',
    startTime: document.start_time ?? null,
    endTime: document.end_time ?? null,
    daysOfWeek: document.days_of_week ?? null,
    daysOfMonth: document.days_of_month ?? null,
    cronExpression: document.cron_expression ?? null,
    timezone: document.timezone ?? 'UTC',
    enabled: document.enabled ?? true,
    createdAt: date(document.created_at),
    updatedAt: date(document.updated_at),
  };
}

/** A required timestamp: the epoch when a hand-edited document lost it, as for flags. */
function date(text: string | null | undefined): Date {
  return parseTimestamp(text) ?? new Date(0);
}
