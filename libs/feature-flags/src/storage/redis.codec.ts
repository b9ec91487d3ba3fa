import type {
  FeatureFlag,
  FlagCondition,
  FlagOverride,
  FlagRule,
  FlagVariant,
  JsonValue,
} from '../models/feature-flag.model';
import type { Segment } from '../models/segment.model';

/**
 * The JSON documents of the Redis layout: snake_case fields and ISO-8601 timestamps, the format
 * litestar-flags reads and writes, so a Python service can share the same keys. This is the only
 * place that knows the format; every Redis code path goes through it.
 */

export interface RuleDocument {
  id: string;
  name: string;
  description: string | null;
  priority: number;
  enabled: boolean;
  conditions: FlagCondition[];
  serve_enabled: boolean;
  serve_value: JsonValue;
  rollout_percentage: number | null;
  /** Ours (named values); litestar-flags ignores it. Written only when set. */
  serve_variant?: string;
}

/** Variants need no renaming: the document's fields are the model's. */
export type VariantDocument = FlagVariant;

interface FlagDocument {
  id: string;
  key: string;
  name: string;
  description: string | null;
  flag_type: FeatureFlag['flagType'];
  status: FeatureFlag['status'];
  default_enabled: boolean;
  default_value: JsonValue;
  tags: string[];
  metadata: Record<string, JsonValue>;
  rules: RuleDocument[];
  variants: VariantDocument[];
  /** Ours (named values); litestar-flags ignores it. Written only when set. */
  default_variant?: string;
  created_at: string | null;
  updated_at: string | null;
  /**
   * Ours, not litestar-flags' (which ignores it when reading and drops it when writing): the
   * optimistic-concurrency version. A document without it reads as version 0.
   */
  version?: number;
}

interface OverrideDocument {
  id: string;
  flag_id: string;
  entity_type: string;
  entity_id: string;
  enabled: boolean;
  value: JsonValue;
  expires_at: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/**
 * `createdAt`: the stored `created_at` text to keep as it is (a document litestar-flags wrote
 * carries microseconds, which a Date cannot hold).
 */
export function serializeFlag(flag: FeatureFlag, raw: { createdAt?: unknown } = {}): string {
  const document: FlagDocument = {
    id: flag.id,
    key: flag.key,
    name: flag.name,
    description: flag.description,
    flag_type: flag.flagType,
    status: flag.status,
    default_enabled: flag.defaultEnabled,
    default_value: flag.defaultValue,
    tags: flag.tags,
    metadata: flag.metadata,
    rules: flag.rules.map(ruleDocument),
    variants: flag.variants.map(variantDocument),
    ...(flag.defaultVariant != null && { default_variant: flag.defaultVariant }),
    created_at: keptTimestamp(raw.createdAt, flag.createdAt) ?? flag.createdAt.toISOString(),
    updated_at: flag.updatedAt.toISOString(),
    version: flag.version,
  };
  return JSON.stringify(document);
}

/**
 * Reads a flag document. Lenient about what other writers may leave out (litestar-flags omits
 * nothing, but older documents or hand-written ones might): the same defaults as `buildFlag`.
 */
export function parseFlag(json: string): FeatureFlag {
  const document = JSON.parse(json) as Partial<FlagDocument>;
  const key = document.key ?? '';
  return {
    id: document.id ?? '',
    key,
    name: document.name ?? key,
    description: document.description ?? null,
    flagType: document.flag_type ?? 'boolean',
    status: document.status ?? 'active',
    defaultEnabled: document.default_enabled ?? false,
    defaultValue: document.default_value ?? null,
    tags: document.tags ?? [],
    metadata: document.metadata ?? {},
    rules: (document.rules ?? []).map(parseRule),
    variants: (document.variants ?? []).map(parseVariant),
    ...(typeof document.default_variant === 'string' && {
      defaultVariant: document.default_variant,
    }),
    createdAt: parseTimestamp(document.created_at) ?? new Date(0),
    updatedAt: parseTimestamp(document.updated_at) ?? new Date(0),
    version: Number.isSafeInteger(document.version) ? document.version! : 0,
  };
}

/** A rule as a flag document (and an environment flag's) embeds it. */
export function ruleDocument(rule: FlagRule): RuleDocument {
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    priority: rule.priority,
    enabled: rule.enabled,
    conditions: rule.conditions,
    serve_enabled: rule.serveEnabled,
    serve_value: rule.serveValue,
    rollout_percentage: rule.rolloutPercentage,
    ...(rule.serveVariant != null && { serve_variant: rule.serveVariant }),
  };
}

/** Copies only the model's fields, so that nothing else a caller attached is stored. */
export function variantDocument(variant: FlagVariant): VariantDocument {
  return {
    id: variant.id,
    key: variant.key,
    name: variant.name,
    description: variant.description,
    value: variant.value,
    weight: variant.weight,
  };
}

export function parseRule(document: Partial<RuleDocument>, index: number): FlagRule {
  return {
    id: document.id ?? '',
    name: document.name ?? `rule-${index + 1}`,
    description: document.description ?? null,
    priority: document.priority ?? index,
    enabled: document.enabled ?? true,
    conditions: document.conditions ?? [],
    serveEnabled: document.serve_enabled ?? true,
    serveValue: document.serve_value ?? null,
    rolloutPercentage: document.rollout_percentage ?? null,
    ...(typeof document.serve_variant === 'string' && { serveVariant: document.serve_variant }),
  };
}

export function parseVariant(document: Partial<VariantDocument>): FlagVariant {
  const key = document.key ?? '';
  return {
    id: document.id ?? '',
    key,
    name: document.name ?? key,
    description: document.description ?? null,
    value: document.value ?? null,
    weight: document.weight ?? 0,
  };
}

export function serializeOverride(override: FlagOverride): string {
  const document: OverrideDocument = {
    id: override.id,
    flag_id: override.flagId,
    entity_type: override.entityType,
    entity_id: override.entityId,
    enabled: override.enabled,
    value: override.value,
    expires_at: override.expiresAt?.toISOString() ?? null,
    created_at: override.createdAt.toISOString(),
    updated_at: override.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseOverride(json: string): FlagOverride {
  const document = JSON.parse(json) as Partial<OverrideDocument>;
  return {
    id: document.id ?? '',
    flagId: document.flag_id ?? '',
    entityType: document.entity_type ?? '',
    entityId: document.entity_id ?? '',
    enabled: document.enabled ?? true,
    value: document.value ?? null,
    expiresAt: parseTimestamp(document.expires_at),
    createdAt: parseTimestamp(document.created_at) ?? new Date(0),
    updatedAt: parseTimestamp(document.updated_at) ?? new Date(0),
  };
}

/** `text` when it is a timestamp that reads as `date` (to the millisecond), else undefined. */
function keptTimestamp(text: unknown, date: Date): string | undefined {
  if (typeof text !== 'string') return undefined;
  return parseTimestamp(text)?.getTime() === date.getTime() ? text : undefined;
}

/**
 * ISO-8601 to Date. A timestamp without a zone (Python's isoformat of a naive datetime) is read
 * as UTC, not as the server's local time.
 */
export function parseTimestamp(text: string | null | undefined): Date | null {
  if (!text) return null;
  // What we write ends in "Z": no regular expression on every read of a flag.
  const last = text.charCodeAt(text.length - 1);
  if (last === UPPER_Z || last === LOWER_Z) return new Date(text);
  const zoned = /[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`;
  return new Date(zoned);
}

const UPPER_Z = 0x5a;
const LOWER_Z = 0x7a;

/** Ours (litestar-flags keeps segments in memory only): the document of `{prefix}segment:{id}`. */
interface SegmentDocument {
  id: string;
  name: string;
  description: string | null;
  conditions: FlagCondition[];
  parent_segment_id: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export function serializeSegment(segment: Segment): string {
  const document: SegmentDocument = {
    id: segment.id,
    name: segment.name,
    description: segment.description,
    conditions: segment.conditions,
    parent_segment_id: segment.parentSegmentId,
    enabled: segment.enabled,
    created_at: segment.createdAt.toISOString(),
    updated_at: segment.updatedAt.toISOString(),
  };
  return JSON.stringify(document);
}

export function parseSegment(json: string): Segment {
  const document = JSON.parse(json) as Partial<SegmentDocument>;
  return {
    id: document.id ?? '',
    name: document.name ?? '',
    description: document.description ?? null,
    conditions: document.conditions ?? [],
    parentSegmentId: document.parent_segment_id ?? null,
    enabled: document.enabled ?? true,
    createdAt: parseTimestamp(document.created_at) ?? new Date(0),
    updatedAt: parseTimestamp(document.updated_at) ?? new Date(0),
  };
}

/** The stored `created_at` text, kept on update at the precision its writer gave it. */
export function createdAtText(document: string): unknown {
  return (JSON.parse(document) as { created_at?: unknown }).created_at;
}

/** `text` as a SCAN/KEYS glob matching itself only. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
