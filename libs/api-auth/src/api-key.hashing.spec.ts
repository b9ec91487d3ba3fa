import { hashApiKey } from './api-key.hashing';

describe('hashApiKey', () => {
  it('is hex SHA-256 without a pepper (FIPS 180-2 vector)', () => {
    expect(hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('is hex HMAC-SHA256 keyed with the pepper (RFC 4231 test case 2)', () => {
    expect(hashApiKey('what do ya want for nothing?', 'Jefe')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('hashes a key differently with and without a pepper', () => {
    const key = `sk_${'a'.repeat(32)}3i8aJj`;
    expect(hashApiKey(key)).toBe(
      '0cbf83265ad5d29a0e03b0ef0a9c25e4a5baa494eba0e79337bbc18202454fd7',
    );
    expect(hashApiKey(key, 'pepper')).toBe(
      '23fde43bac02285ccece17288e4b46591729afecac4710549ba66aa440d9d8a9',
    );
  });
});
