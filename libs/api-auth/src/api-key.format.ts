import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { DEFAULT_API_KEY_PREFIX } from './api-auth.constants';

/**
 * Key format: `{keyPrefix}{random}{checksum}`
 * - `keyPrefix`: configured, default `sk_` (letters, digits, `_` or `-`, starting with a letter);
 * - `random`: 32 crypto-random base62 characters (≈190 bits); the parser accepts 32 to 64 so longer
 *   keys can be issued later without breaking old ones;
 * - `checksum`: CRC32 of `random`, base62, left-padded with `0` to 6 characters.
 *
 * The checksum covers only the random part (as GitHub's token format does) so a secret scanner can
 * validate a candidate without knowing the deployment's prefix, and so typos and truncated keys are
 * rejected before any storage lookup.
 */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_RANDOM_LENGTH = 32;
export const API_KEY_MAX_RANDOM_LENGTH = 64;
export const API_KEY_CHECKSUM_LENGTH = 6;
/** Random characters kept in `ApiKey.prefix` after the key prefix: enough to tell keys apart in a list. */
export const DISPLAY_RANDOM_CHARS = 6;

const KEY_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/**
 * A regular expression matching keys with `keyPrefix` inside arbitrary text, for secret scanners
 * and log scrubbers. Unanchored and without flags; add `g` yourself to find every match
 * (`new RegExp(apiKeyRegex('sk_').source, 'g')`). Confirm a hit with `isWellFormedApiKey()`.
 */
export function apiKeyRegex(keyPrefix: string = DEFAULT_API_KEY_PREFIX): RegExp {
  // Valid prefixes hold no regex metacharacters, so they can be embedded as they are.
  assertValidKeyPrefix(keyPrefix);
  const body = `[0-9A-Za-z]{${API_KEY_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH},${API_KEY_MAX_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH}}`;
  return new RegExp(`(?<![A-Za-z0-9_-])${keyPrefix}${body}(?![0-9A-Za-z])`);
}

/** Matches keys with the default `sk_` prefix: `/(?<![A-Za-z0-9_-])sk_[0-9A-Za-z]{38,70}(?![0-9A-Za-z])/`. */
export const API_KEY_REGEX: RegExp = apiKeyRegex(DEFAULT_API_KEY_PREFIX);

/** The parts of a well-formed key. */
export interface ParsedApiKey {
  keyPrefix: string;
  random: string;
  checksum: string;
}

/** A fresh crypto-random key. */
export function generateApiKey(keyPrefix: string = DEFAULT_API_KEY_PREFIX): string {
  const random = randomBase62(API_KEY_RANDOM_LENGTH);
  return `${keyPrefix}${random}${apiKeyChecksum(random)}`;
}

/**
 * Splits a candidate key, or returns `null` when the prefix, length, alphabet or checksum is wrong.
 * Cheap and bounded (length is checked first), so it runs before any hashing or storage lookup
 * and junk input costs next to nothing.
 */
export function parseApiKey(
  candidate: unknown,
  keyPrefix: string = DEFAULT_API_KEY_PREFIX,
): ParsedApiKey | null {
  if (typeof candidate !== 'string') return null;
  const bodyLength = candidate.length - keyPrefix.length;
  if (
    bodyLength < API_KEY_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH ||
    bodyLength > API_KEY_MAX_RANDOM_LENGTH + API_KEY_CHECKSUM_LENGTH ||
    !candidate.startsWith(keyPrefix)
  ) {
    return null;
  }
  const body = candidate.slice(keyPrefix.length);
  if (!isBase62(body)) return null;
  const random = body.slice(0, -API_KEY_CHECKSUM_LENGTH);
  const checksum = body.slice(-API_KEY_CHECKSUM_LENGTH);
  // The checksum is public information derived from the key, so a plain comparison is fine here.
  if (apiKeyChecksum(random) !== checksum) return null;
  return { keyPrefix, random, checksum };
}

export function isWellFormedApiKey(
  candidate: unknown,
  keyPrefix: string = DEFAULT_API_KEY_PREFIX,
): boolean {
  return parseApiKey(candidate, keyPrefix) !== null;
}

/** CRC32 of the random part, base62-encoded and zero-padded to 6 characters (62^6 > 2^32). */
export function apiKeyChecksum(random: string): string {
  return encodeBase62(crc32(random)).padStart(API_KEY_CHECKSUM_LENGTH, BASE62_ALPHABET[0]);
}

/**
 * What `ApiKey.prefix` keeps of a key: the key prefix and a few random characters, as a string of
 * its own. A plain `slice` of 13 characters or more is a view into the whole key on V8, so every
 * record holding the prefix (the memory storage, the local cache) would keep the plaintext key
 * alive in the heap.
 */
export function displayPrefix(key: string, keyPrefix: string = DEFAULT_API_KEY_PREFIX): string {
  const prefix = key.slice(0, keyPrefix.length + DISPLAY_RANDOM_CHARS);
  // Keys are ASCII (prefix pattern, base62): latin1 round-trips them exactly.
  return Buffer.from(prefix, 'latin1').toString('latin1');
}

export function assertValidKeyPrefix(keyPrefix: unknown): asserts keyPrefix is string {
  if (typeof keyPrefix !== 'string' || !KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new TypeError(
      'keyPrefix must start with a letter and contain only letters, digits, "_" or "-" (at most 32 characters), e.g. "sk_"',
    );
  }
}

/**
 * A loop, not a regular expression: V8 keeps the subject of the last successful match reachable
 * (for `RegExp.input`), which would keep a verified key in memory until some other match.
 */
function isBase62(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const isDigit = code >= 48 && code <= 57;
    const isUpper = code >= 65 && code <= 90;
    const isLower = code >= 97 && code <= 122;
    if (!isDigit && !isUpper && !isLower) return false;
  }
  return true;
}

function encodeBase62(value: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out;
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: dropping bytes ≥ 248 keeps every character equally likely (no modulo bias).
      if (byte < 248) out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}
