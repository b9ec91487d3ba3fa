/** Deeper than any record we store: past it, assume a cycle and let structuredClone handle it. */
const MAX_DEPTH = 64;
// Thrown out of the recursion, caught in deepCopy: never escapes.
const TOO_DEEP = new Error('deepCopy: too deep');

/**
 * A deep copy of a stored record, for storages and caches that hand out objects callers may
 * mutate. The result is what `structuredClone` would give, several times faster for what our
 * records hold: plain objects, arrays, Dates and primitives are copied directly; anything else
 * (a Map, a typed array, a cycle) is left to `structuredClone`, which also throws for what
 * cannot be cloned (a function, a symbol).
 */
export function deepCopy<T>(value: T): T {
  try {
    return copyValue(value, 0);
  } catch (error) {
    if (error === TOO_DEEP) return structuredClone(value);
    throw error;
  }
}

function copyValue<T>(value: T, depth: number): T {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol'
      ? structuredClone(value)
      : value;
  }
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyValue(value[i] as unknown, depth + 1);
    return copy as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyValue((value as Record<string, unknown>)[key], depth + 1);
    // An own "__proto__" key (JSON.parse makes them) stays data, as with structuredClone.
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = item;
    }
  }
  return copy as T;
}
