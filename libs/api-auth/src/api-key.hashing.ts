import { createHmac, hash } from 'node:crypto';

/**
 * The value stored in `ApiKey.keyHash`: hex SHA-256 of the key, or hex HMAC-SHA256 keyed with
 * `pepper`. Keys carry ≈190 bits of entropy, so a fast hash is enough (no bcrypt/argon2): nobody
 * can brute-force the preimage, and verification stays one hash plus one indexed lookup. The pepper
 * additionally makes a leaked table useless without the application's secret.
 * (`crypto.hash` is the one-shot form: a third of `createHash()`'s cost on the verify hot path.)
 */
export function hashApiKey(key: string, pepper?: string): string {
  return pepper === undefined
    ? hash('sha256', key, 'hex')
    : createHmac('sha256', pepper).update(key, 'utf8').digest('hex');
}
