/*
 * One validation of the text and numbers both libraries store, so that every backend (memory,
 * SQLite, PostgreSQL, MySQL/MariaDB, Redis) accepts and refuses exactly the same values. The
 * limits come from the strictest backend: PostgreSQL refuses NUL in `text` and `\u0000` in `jsonb`,
 * its `integer` is 32-bit, and `varchar(n)` counts characters (code points) on PostgreSQL and MySQL.
 *
 * Each function answers `undefined` when the value can be stored, otherwise a short reason meant to
 * follow the field name in an error message ("name must not contain control characters").
 */
import { types } from 'node:util';

/** The largest value of a 32-bit signed SQL `integer` (the smallest integer column we use). */
export const INT32_MAX = 2_147_483_647;
/** The smallest value of a 32-bit signed SQL `integer`. */
export const INT32_MIN = -2_147_483_648;

export interface StoredTextOptions {
  /** Upper bound in characters (Unicode code points, as SQL `varchar(n)` counts them). */
  readonly maxLength: number;
  /** Allow tab, carriage return and line feed (free text such as descriptions). */
  readonly multiline?: boolean;
}

export interface StoredJsonOptions {
  /** Deepest nesting of arrays and objects; the top-level value is depth 1. Default 32. */
  readonly maxDepth?: number;
  /** Upper bound of the serialized JSON in UTF-8 bytes. Default 65,536 (64 KiB). */
  readonly maxLength?: number;
}

export interface IntegerOptions {
  /** Default INT32_MIN. */
  readonly min?: number;
  /** Default INT32_MAX. */
  readonly max?: number;
}

export const DEFAULT_STORED_JSON_DEPTH = 32;
export const DEFAULT_STORED_JSON_BYTES = 65_536;

// C0 controls, DEL and C1 controls; the multiline variant spares tab, LF and CR.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u;
const NUL = '\u0000';

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

export function storedTextProblem(value: unknown, options: StoredTextOptions): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode';
  if ((options.multiline ? CONTROL_MULTILINE : CONTROL).test(value)) {
    return 'must not contain control characters';
  }
  // A string of at most maxLength UTF-16 units has at most that many code points: skip the count.
  if (value.length > options.maxLength && codePointLength(value) > options.maxLength) {
    return `must be at most ${options.maxLength} characters`;
  }
  return undefined;
}

/** Whether `value` is a string some store could hold as a key (for reads: anything else is absent). */
export function isStoredText(value: unknown, options: StoredTextOptions): value is string {
  return storedTextProblem(value, options) === undefined;
}

function jsonStringProblem(value: string, what: string): string | undefined {
  if (value.includes(NUL)) return `must not contain NUL characters in ${what}`;
  if (LONE_SURROGATE.test(value)) return `must be well-formed Unicode in ${what}`;
  return undefined;
}

/**
 * An object JSON stores as its own enumerable properties: `{…}` of any realm (structuredClone and
 * Jest hand out objects of another one) or an instance of a plain class (a validated DTO). Not a
 * Date, Map, Set or anything else JSON.stringify would turn into something else.
 */
function isRecord(value: object): value is Record<string, unknown> {
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

function jsonProblem(value: unknown, depth: number, maxDepth: number): string | undefined {
  switch (typeof value) {
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : 'must not contain non-finite numbers';
    case 'string':
      return jsonStringProblem(value, 'strings');
    case 'object':
      break;
    default:
      return 'must be JSON data (null, boolean, number, string, array or object)';
  }
  if (value === null) return undefined;
  if (depth > maxDepth) return `must not nest deeper than ${maxDepth} levels`;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      // JSON has no `undefined`: JSON.stringify would store null in its place.
      const problem =
        item === undefined ? 'must be JSON data' : jsonProblem(item, depth + 1, maxDepth);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isRecord(value)) return 'must be JSON data (null, boolean, number, string, array or object)';
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = jsonStringProblem(key, 'object keys');
    if (keyProblem) return keyProblem;
    // An undefined property is dropped by every backend alike.
    if (item === undefined) continue;
    const problem = jsonProblem(item, depth + 1, maxDepth);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Checks a value stored as JSON (metadata, flag values, condition values). `undefined` means
 * "absent" and passes; inside an array it does not (it would silently become `null`).
 */
export function storedJsonProblem(
  value: unknown,
  options: StoredJsonOptions = {},
): string | undefined {
  if (value === undefined) return undefined;
  const maxDepth = options.maxDepth ?? DEFAULT_STORED_JSON_DEPTH;
  const maxLength = options.maxLength ?? DEFAULT_STORED_JSON_BYTES;
  const problem = jsonProblem(value, 1, maxDepth);
  if (problem) return problem;
  const serialized = JSON.stringify(value);
  // Every UTF-16 unit takes at most 3 UTF-8 bytes: most values skip the byte count.
  if (serialized.length * 3 > maxLength && Buffer.byteLength(serialized, 'utf8') > maxLength) {
    return `must serialize to at most ${maxLength} bytes of JSON`;
  }
  return undefined;
}

export function integerProblem(value: unknown, options: IntegerOptions = {}): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
  const min = options.min ?? INT32_MIN;
  const max = options.max ?? INT32_MAX;
  if (value < min) return `must be at least ${min}`;
  if (value > max) return `must be at most ${max}`;
  return undefined;
}

/** The instants every backend stores as given: MySQL `DATETIME` holds years 1000 to 9999. */
export const STORED_DATE_MIN = Date.UTC(1000, 0, 1);
export const STORED_DATE_MAX = Date.UTC(10000, 0, 1) - 1;

/** Why `value` cannot be stored as an instant, or `undefined` when it can. */
export function storedDateProblem(value: unknown): string | undefined {
  // types.isDate, not instanceof: Dates from another realm (vm, worker) are Dates too.
  if (!types.isDate(value) || Number.isNaN(value.getTime())) return 'must be a valid Date';
  const time = value.getTime();
  if (time < STORED_DATE_MIN || time > STORED_DATE_MAX) {
    return 'must be between the years 1000 and 9999';
  }
  return undefined;
}
