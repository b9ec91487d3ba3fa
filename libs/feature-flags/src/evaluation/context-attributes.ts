import type { EvaluationContext } from '../models/evaluation.model';

/**
 * Reads an attribute for a condition: built-in context fields first (camelCase, or the
 * snake_case names litestar-flags rules use), then `context.attributes`.
 */
export function getContextAttribute(context: EvaluationContext, attribute: string): unknown {
  const value = builtInField(context, attribute);
  if (value !== undefined && value !== null) return value;
  const attributes = context.attributes;
  if (attributes && Object.hasOwn(attributes, attribute)) return attributes[attribute];
  return undefined;
}

/**
 * A built-in field by either of its names. Attribute names come from stored rules, strings that
 * are usually not internalized, so a `switch` on them would compare contents case by case; one
 * Map lookup (the hash is cached on the string) picks the field, then the read is a named one.
 */
function builtInField(context: EvaluationContext, attribute: string): unknown {
  switch (BUILT_IN_FIELDS.get(attribute)) {
    case Field.TargetingKey:
      return context.targetingKey;
    case Field.UserId:
      return context.userId;
    case Field.OrganizationId:
      return context.organizationId;
    case Field.TenantId:
      return context.tenantId;
    case Field.Environment:
      return context.environment;
    case Field.AppVersion:
      return context.appVersion;
    case Field.Ip:
      return context.ip;
    case Field.UserAgent:
      return context.userAgent;
    case Field.Country:
      return context.country;
    default:
      return undefined;
  }
}

const enum Field {
  TargetingKey,
  UserId,
  OrganizationId,
  TenantId,
  Environment,
  AppVersion,
  Ip,
  UserAgent,
  Country,
}

const BUILT_IN_FIELDS = new Map<string, Field>([
  ['targetingKey', Field.TargetingKey],
  ['targeting_key', Field.TargetingKey],
  ['userId', Field.UserId],
  ['user_id', Field.UserId],
  ['organizationId', Field.OrganizationId],
  ['organization_id', Field.OrganizationId],
  ['tenantId', Field.TenantId],
  ['tenant_id', Field.TenantId],
  ['environment', Field.Environment],
  ['appVersion', Field.AppVersion],
  ['app_version', Field.AppVersion],
  ['ip', Field.Ip],
  ['ipAddress', Field.Ip],
  ['ip_address', Field.Ip],
  ['userAgent', Field.UserAgent],
  ['user_agent', Field.UserAgent],
  ['country', Field.Country],
]);
