import { randomBytes } from 'node:crypto';
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

/** A fresh crypto-random key. */
export function generateApiKey(keyPrefix: string = DEFAULT_API_KEY_PREFIX): string {
  const random = randomBase62(API_KEY_RANDOM_LENGTH);
  return `${keyPrefix}${random}${apiKeyChecksum(random)}`;
}

/**
 * Whether the prefix, length, alphabet and checksum are right. It runs on every request before
 * any lookup, so it is one bounded pass over the characters (length is checked first): no slice,
 * no regular expression (V8 keeps the subject of a successful match, the key, reachable).
 */
export function isWellFormedApiKey(
  candidate: unknown,
  keyPrefix: string = DEFAULT_API_KEY_PREFIX,
): boolean {
  if (typeof candidate !== 'string') return false;
  const checksumStart = candidate.length - API_KEY_CHECKSUM_LENGTH;
  const randomLength = checksumStart - keyPrefix.length;
  if (
    randomLength < API_KEY_RANDOM_LENGTH ||
    randomLength > API_KEY_MAX_RANDOM_LENGTH ||
    !candidate.startsWith(keyPrefix)
  ) {
    return false;
  }
  let crc = ~0;
  let checksum = 0;
  for (let i = keyPrefix.length; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    const digit = base62Digit(code);
    if (digit < 0) return false;
    if (i < checksumStart) crc = crc32Step(crc, code);
    else checksum = checksum * 62 + digit;
  }
  // The checksum is public information derived from the key, so a plain comparison is fine here.
  return checksum === ~crc >>> 0;
}

/** CRC32 of the (ASCII) random part, base62-encoded and zero-padded to 6 characters (62^6 > 2^32). */
export function apiKeyChecksum(random: string): string {
  let crc = ~0;
  for (let i = 0; i < random.length; i++) crc = crc32Step(crc, random.charCodeAt(i));
  return encodeBase62(~crc >>> 0).padStart(API_KEY_CHECKSUM_LENGTH, BASE62_ALPHABET[0]);
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

/** CRC-32 (IEEE, zlib's) a byte at a time, over character codes: keys are ASCII. */
const CRC32_TABLE = Int32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc;
});

function crc32Step(crc: number, code: number): number {
  return CRC32_TABLE[(crc ^ code) & 0xff] ^ (crc >>> 8);
}

/** The value of a base62 character, or -1. */
function base62Digit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (code >= 97 && code <= 122) return code - 61;
  return -1;
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
