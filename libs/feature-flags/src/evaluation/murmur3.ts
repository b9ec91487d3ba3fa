const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3, x86 32-bit variant, over the UTF-8 bytes of `input`. Returned unsigned, so a
 * bucket computed here equals the one litestar-flags (and, for ASCII ids, Unleash) computes.
 */
export function murmur3(input: string | Uint8Array, seed = 0): number {
  const data = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const length = data.length;
  const tail = length - (length & 3);
  let h1 = seed >>> 0;

  for (let i = 0; i < tail; i += 4) {
    let k1 = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }

  const remaining = length & 3;
  if (remaining > 0) {
    let k1 = 0;
    for (let j = remaining - 1; j >= 0; j--) k1 = (k1 << 8) | data[tail + j];
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
  }

  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}
