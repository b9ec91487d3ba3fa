import type { ConditionOperator } from '../models/feature-flag.model';
import { toEpochMs } from './instants';
import { matchesAtStart } from './pattern';
import { inTimeWindow } from './time-window';

type Comparator = (actual: unknown, expected: unknown) => boolean;

/**
 * One function per operator. `actual` is never null or undefined here: a missing attribute is
 * "no match" for every operator, including the negative ones (`ne`, `not_in`, `not_contains`).
 * Bad input on either side is "no match" as well; nothing here throws.
 */
/**
 * Segment membership needs the segments, which the engine has and this table does not: the
 * engine answers `in_segment` / `not_in_segment` itself (evaluation.engine.ts); here they are
 * unknown operators.
 */
type AttributeOperator = Exclude<ConditionOperator, 'in_segment' | 'not_in_segment'>;

const OPERATORS: Record<AttributeOperator, Comparator> = {
  eq: (actual, expected) => isEqual(actual, expected),
  ne: (actual, expected) => !isEqual(actual, expected),
  gt: (actual, expected) => compareNumbers(actual, expected, (a, b) => a > b),
  gte: (actual, expected) => compareNumbers(actual, expected, (a, b) => a >= b),
  lt: (actual, expected) => compareNumbers(actual, expected, (a, b) => a < b),
  lte: (actual, expected) => compareNumbers(actual, expected, (a, b) => a <= b),
  in: (actual, expected) => Array.isArray(expected) && includesEqual(expected, actual),
  not_in: (actual, expected) => Array.isArray(expected) && !includesEqual(expected, actual),
  contains: (actual, expected) => contains(actual, expected) === true,
  not_contains: (actual, expected) => contains(actual, expected) === false,
  starts_with: (actual, expected) =>
    isText(actual) && typeof expected === 'string' && String(actual).startsWith(expected),
  ends_with: (actual, expected) =>
    isText(actual) && typeof expected === 'string' && String(actual).endsWith(expected),
  matches: (actual, expected) => isText(actual) && matchesAtStart(String(actual), expected),
  semver_eq: (actual, expected) => compareSemver(actual, expected, (order) => order === 0),
  semver_gt: (actual, expected) => compareSemver(actual, expected, (order) => order > 0),
  semver_lt: (actual, expected) => compareSemver(actual, expected, (order) => order < 0),
  date_after: (actual, expected) => compareDates(actual, expected, (a, b) => a > b),
  date_before: (actual, expected) => compareDates(actual, expected, (a, b) => a < b),
  time_window: (actual, expected) => inTimeWindow(toEpochMs(actual), expected),
};

/** Whether `actual` satisfies `operator` against `expected`. Unknown operators never match. */
export function evaluateOperator(operator: unknown, actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  const compare = typeof operator === 'string' ? COMPARATORS.get(operator) : undefined;
  return compare !== undefined && compare(actual, expected);
}

// One Map lookup per condition (rather than hasOwn plus a keyed read) on the evaluation hot path.
const COMPARATORS = new Map<string, Comparator>(Object.entries(OPERATORS));

/** `list.some((item) => isEqual(value, item))` without a closure per call: `in` is a hot operator. */
function includesEqual(list: readonly unknown[], value: unknown): boolean {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === value || isEqual(value, list[i])) return true;
  }
  return false;
}

function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => isEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && isEqual(a[key], b[key]))
    );
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/** Numbers, or strings that are entirely a number ("42", "1.5"); anything else is NaN. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

function compareNumbers(
  actual: unknown,
  expected: unknown,
  test: (a: number, b: number) => boolean,
): boolean {
  const a = toNumber(actual);
  const b = toNumber(expected);
  return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
}

/** `true`/`false` when the question makes sense, `undefined` when the types do not fit. */
function contains(actual: unknown, expected: unknown): boolean | undefined {
  if (typeof actual === 'string') {
    return typeof expected === 'string' ? actual.includes(expected) : undefined;
  }
  if (Array.isArray(actual)) return actual.some((item) => isEqual(item, expected));
  return undefined;
}

const SEMVER =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

interface SemVer {
  core: [number, number, number];
  prerelease: string[];
}

/** Accepts `1`, `1.2`, `1.2.3`, an optional leading `v`, pre-release and build suffixes. */
function parseSemver(value: unknown): SemVer | null {
  if (!isText(value)) return null;
  const match = SEMVER.exec(String(value).trim());
  if (!match) return null;
  return {
    core: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)],
    prerelease: match[4] ? match[4].split('.') : [],
  };
}

/** Semantic Versioning 2.0 precedence: negative, zero or positive like a sort comparator. */
function semverOrder(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) {
    if (a.core[i] !== b.core[i]) return a.core[i] - b.core[i];
  }
  // A pre-release ranks below its release: 1.0.0-rc.1 < 1.0.0.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return b.prerelease.length - a.prerelease.length;
  }
  const length = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < length; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === y) continue;
    const xNumeric = /^\d+$/.test(x);
    const yNumeric = /^\d+$/.test(y);
    if (xNumeric && yNumeric) return Number(x) - Number(y);
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.prerelease.length - b.prerelease.length;
}

function compareSemver(
  actual: unknown,
  expected: unknown,
  test: (order: number) => boolean,
): boolean {
  const a = parseSemver(actual);
  const b = parseSemver(expected);
  return a !== null && b !== null && test(semverOrder(a, b));
}

function compareDates(
  actual: unknown,
  expected: unknown,
  test: (a: number, b: number) => boolean,
): boolean {
  const a = toEpochMs(actual);
  const b = toEpochMs(expected);
  return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
}
