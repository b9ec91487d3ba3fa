import {
  API_KEY_REGEX,
  apiKeyChecksum,
  apiKeyRegex,
  displayPrefix,
  generateApiKey,
  isWellFormedApiKey,
} from './api-key.format';

/** A key built by hand from the spec, independent of generateApiKey(). */
const KNOWN_KEY = `sk_${'a'.repeat(32)}3i8aJj`;

describe('api key format', () => {
  it('checksums with CRC32 in zero-padded base62 (known vectors)', () => {
    expect(apiKeyChecksum('123456789')).toBe('3jZRME'); // CRC32 0xCBF43926
    expect(apiKeyChecksum('')).toBe('000000');
    expect(apiKeyChecksum('a'.repeat(32))).toBe('3i8aJj');
  });

  it('generates prefix + 32 base62 random chars + 6-char checksum', () => {
    const key = generateApiKey('sk_');
    expect(key).toMatch(/^sk_[0-9A-Za-z]{38}$/);
    expect(key.slice(35)).toBe(apiKeyChecksum(key.slice(3, 35)));
    expect(isWellFormedApiKey(key, 'sk_')).toBe(true);
  });

  it('generates distinct keys that use the whole alphabet', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey('sk_')));
    expect(keys.size).toBe(200);
    const chars = new Set([...keys].join('').slice(0, 200 * 38));
    expect(chars.size).toBeGreaterThan(55);
  });

  it('accepts a hand-built key and rejects every kind of malformed one', () => {
    expect(isWellFormedApiKey(KNOWN_KEY, 'sk_')).toBe(true);
    expect(isWellFormedApiKey(KNOWN_KEY, 'pk_')).toBe(false); // wrong prefix
    expect(isWellFormedApiKey(`pk_${KNOWN_KEY.slice(3)}`, 'sk_')).toBe(false);
    expect(isWellFormedApiKey(KNOWN_KEY.slice(0, -1), 'sk_')).toBe(false); // truncated
    expect(isWellFormedApiKey(`sk_${'a'.repeat(31)}${apiKeyChecksum('a'.repeat(31))}`)).toBe(false); // too short
    const long = 'a'.repeat(65);
    expect(isWellFormedApiKey(`sk_${long}${apiKeyChecksum(long)}`)).toBe(false); // too long
    const flipped = `sk_b${'a'.repeat(31)}3i8aJj`;
    expect(isWellFormedApiKey(flipped, 'sk_')).toBe(false); // checksum mismatch
    const dashed = `sk_${'a'.repeat(31)}-`;
    expect(isWellFormedApiKey(`${dashed}${apiKeyChecksum(dashed.slice(3))}`)).toBe(false); // alphabet
    expect(isWellFormedApiKey(`sk_${'é'.repeat(32)}3i8aJj`)).toBe(false);
    expect(isWellFormedApiKey(`${KNOWN_KEY} `)).toBe(false);
    expect(isWellFormedApiKey(undefined)).toBe(false);
    expect(isWellFormedApiKey('x'.repeat(8192))).toBe(false);
  });

  it('accepts longer random parts, up to 64 characters', () => {
    const random = 'Z'.repeat(64);
    expect(isWellFormedApiKey(`sk_${random}${apiKeyChecksum(random)}`)).toBe(true);
  });

  it('keeps only the key prefix and six random characters for display', () => {
    expect(displayPrefix(KNOWN_KEY, 'sk_')).toBe('sk_aaaaaa');
  });

  describe('scanner regex', () => {
    it('finds default-prefix keys inside text and nothing else', () => {
      const key = generateApiKey();
      const text = `config: token="${key}"; other=sk_short; ${KNOWN_KEY}\nxsk_${'a'.repeat(38)}`;
      const found = text.match(new RegExp(API_KEY_REGEX.source, 'g'));
      expect(found).toEqual([key, KNOWN_KEY]);
    });

    it('is built for a custom prefix', () => {
      const key = generateApiKey('acme-live_');
      expect(apiKeyRegex('acme-live_').exec(`Bearer ${key}`)?.[0]).toBe(key);
      expect(apiKeyRegex('acme-live_').test(generateApiKey('sk_'))).toBe(false);
    });

    it('refuses prefixes that cannot be matched reliably', () => {
      expect(() => apiKeyRegex('')).toThrow(/keyPrefix/);
      expect(() => apiKeyRegex('sk.')).toThrow(/keyPrefix/);
      expect(() => apiKeyRegex('_sk')).toThrow(/keyPrefix/);
    });
  });
});
