import { types } from 'node:util';
import {
  integerProblem,
  INT32_MAX,
  INT32_MIN,
  storedDateProblem,
  storedJsonProblem,
  storedTextProblem,
} from '@gatekeeper/common';
import { patternProblem } from '../evaluation/pattern';
import { timeWindowProblem } from '../evaluation/time-window';
import { InvalidFlagError } from '../storage/storage.errors';
import type { FlagCondition } from './feature-flag.model';

/*
 * Limits of what the storages accept, the same on every backend. They fit the smallest column of
 * any backend (docs/feature-flags/storage-backends.md, "Limits"): `varchar(64)` ids and entity
 * types, `varchar(255)` keys and names, MySQL `TEXT` (65,535 bytes, 4 per character) for
 * descriptions, a 32-bit `integer` for priorities; JSON is stored as text and checked by
 * `storedJsonProblem` (no NUL, which PostgreSQL refuses, no lone surrogates, bounded depth and size).
 */
export const FLAG_LIMITS = {
  /** Flag keys, variant keys, entity ids. */
  keyLength: 255,
  /** Flag, rule and override ids (uuids by default). */
  idLength: 64,
  entityTypeLength: 64,
  nameLength: 255,
  /** Descriptions may span lines (tab, CR, LF). */
  descriptionLength: 10_000,
  tagLength: 255,
  tags: 100,
  /** Condition attributes and operators. */
  attributeLength: 255,
  /** Nesting of any stored JSON value. */
  jsonDepth: 32,
  /** Serialized UTF-8 bytes of one value (defaultValue, serveValue, a variant's or override's value). */
  valueBytes: 4 * 1024 * 1024,
  /** Serialized UTF-8 bytes of a flag's metadata. */
  metadataBytes: 64 * 1024,
  /** Serialized UTF-8 bytes of a rule's conditions. */
  conditionsBytes: 1024 * 1024,
} as const;

/**
 * Whether `key` could name a stored flag (or entity). Reads of any other key answer "not found"
 * without asking the store: PostgreSQL would fail on a NUL rather than find nothing.
 */
export function isStorableKey(key: unknown, maxLength: number = FLAG_LIMITS.keyLength): boolean {
  return (
    typeof key === 'string' && key !== '' && storedTextProblem(key, { maxLength }) === undefined
  );
}

/** Whether an override lookup could match a stored override (see `isStorableKey`). */
export function isStorableOverrideRef(
  flagId: unknown,
  entityType: unknown,
  entityId: unknown,
): boolean {
  return (
    isStorableKey(flagId, FLAG_LIMITS.idLength) &&
    isStorableKey(entityType, FLAG_LIMITS.entityTypeLength) &&
    isStorableKey(entityId, FLAG_LIMITS.keyLength)
  );
}

/** @internal Builds the error of one field; `where` names the flag (or segment) it belongs to. */
export class FieldCheck {
  constructor(private readonly where: string) {}

  fail(field: string, problem: string): never {
    throw new InvalidFlagError(`${this.where}${field} ${problem}`, field);
  }

  text(field: string, value: unknown, maxLength: number, multiline = false): void {
    const problem = storedTextProblem(value, { maxLength, multiline });
    if (problem) this.fail(field, problem);
  }

  key(field: string, value: unknown, maxLength: number): void {
    if (typeof value === 'string' && value.trim() === '') this.fail(field, 'must not be empty');
    this.text(field, value, maxLength);
  }

  optionalText(field: string, value: unknown, maxLength: number, multiline = false): void {
    if (value !== undefined && value !== null) this.text(field, value, maxLength, multiline);
  }

  json(field: string, value: unknown, maxLength: number): void {
    const problem = storedJsonProblem(value, { maxDepth: FLAG_LIMITS.jsonDepth, maxLength });
    if (problem) this.fail(field, problem);
  }

  integer(field: string, value: unknown, min = INT32_MIN, max = INT32_MAX): void {
    const problem = integerProblem(value, { min, max });
    if (problem) this.fail(field, problem);
  }

  /** An instant every backend stores as given (years 1000 to 9999). */
  date(field: string, value: unknown): void {
    const problem = storedDateProblem(value);
    if (problem) this.fail(field, problem);
  }

  percentage(field: string, value: unknown): void {
    if (!isPercentage(value)) this.fail(field, 'must be 0–100');
  }
}

/**
 * @internal Validates a list of conditions (of a rule or a segment) the same way everywhere and
 * returns a copy. `where` prefixes messages (`flag "k": `), `field` is the path of the list and
 * `owner` names what holds it in messages (`rule "beta"`). A missing attribute or an unknown
 * operator is stored: it never matches. Values the operators could never read are refused.
 */
export function checkConditions(
  where: string,
  field: string,
  conditions: unknown,
  owner: string,
): FlagCondition[] {
  const check: FieldCheck = new FieldCheck(where);
  if (!Array.isArray(conditions)) check.fail(field, 'must be an array');
  (conditions as unknown[]).forEach((condition, position) => {
    const path = `${field}.${position}`;
    if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
      check.fail(path, 'must be an object');
    }
    const { attribute, operator, value } = condition as Partial<FlagCondition>;
    if (typeof attribute === 'string') {
      check.text(`${path}.attribute`, attribute, FLAG_LIMITS.attributeLength);
    }
    if (typeof operator === 'string') {
      check.text(`${path}.operator`, operator, FLAG_LIMITS.attributeLength);
    }
    const problem =
      operator === 'matches'
        ? patternProblem(value)
        : operator === 'time_window'
          ? timeWindowProblem(value)
          : operator === 'in_segment' || operator === 'not_in_segment'
            ? segmentRefProblem(value)
            : null;
    if (problem !== null) {
      throw new InvalidFlagError(
        `${where}the ${operator} value of ${owner} is not supported (${problem})`,
        `${path}.value`,
      );
    }
  });
  check.json(field, conditions, FLAG_LIMITS.conditionsBytes);
  return structuredClone(conditions as FlagCondition[]);
}

/** A segment is named by its id or its name: a string either could be. */
function segmentRefProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '')
    return 'a segment id or name is a non-empty string';
  return storedTextProblem(value, { maxLength: FLAG_LIMITS.nameLength }) ?? null;
}

export function isPercentage(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100;
}

/** A key as it may appear in a message: controls escaped, long keys cut. */
export function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return shown.replace(
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function copyDate(value: Date | null | undefined): Date | undefined {
  // types.isDate, not instanceof: Dates from another realm (vm, worker) are Dates too.
  return types.isDate(value) ? new Date(value.getTime()) : undefined;
}
