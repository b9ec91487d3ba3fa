const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3, x86 32-bit variant, over the UTF-8 bytes of `input`. Returned unsigned, so a
 * bucket computed here equals the one litestar-flags (and, for ASCII ids, Unleash) computes.
 */
export function murmur3(input: string | Uint8Array, seed = 0): number {
  if (typeof input !== 'string') return murmur3Bytes(input, seed);
  return murmur3Joined(input, '', '', seed);
}

/**
 * `murmur3(head + separator + tail)` without building the joined string: rollout buckets hash
 * `"{flagKey}:{targetingKey}"` on every evaluation, and reading a freshly concatenated string
 * char by char costs more than the hash itself. ASCII input (flag keys, user ids) is read in place,
 * its UTF-8 bytes being its char codes; anything else is encoded first.
 */
export function murmur3Joined(head: string, separator: string, tail: string, seed = 0): number {
  const hash = murmur3JoinedAscii(head, separator, tail, seed);
  return hash >= 0 ? hash : murmur3Bytes(Buffer.from(head + separator + tail, 'utf8'), seed);
}

/** The char code at `index` of `head + separator + tail`. */
function joinedCharCode(
  head: string,
  separator: string,
  tail: string,
  headEnd: number,
  separatorEnd: number,
  index: number,
): number {
  if (index < headEnd) return head.charCodeAt(index);
  if (index < separatorEnd) return separator.charCodeAt(index - headEnd);
  return tail.charCodeAt(index - separatorEnd);
}

/** The hash of an all-ASCII joined string, or -1 as soon as a non-ASCII char shows up. */
function murmur3JoinedAscii(head: string, separator: string, tail: string, seed: number): number {
  const headEnd = head.length;
  const separatorEnd = headEnd + separator.length;
  const length = separatorEnd + tail.length;
  const blocks = length - (length & 3);
  let h1 = seed >>> 0;

  for (let i = 0; i < blocks; i += 4) {
    const b0 = joinedCharCode(head, separator, tail, headEnd, separatorEnd, i);
    const b1 = joinedCharCode(head, separator, tail, headEnd, separatorEnd, i + 1);
    const b2 = joinedCharCode(head, separator, tail, headEnd, separatorEnd, i + 2);
    const b3 = joinedCharCode(head, separator, tail, headEnd, separatorEnd, i + 3);
    if ((b0 | b1 | b2 | b3) > 0x7f) return -1;
    h1 = mixBlock(h1, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24));
  }

  if (blocks < length) {
    let k1 = 0;
    for (let j = length - 1; j >= blocks; j--) {
      const byte = joinedCharCode(head, separator, tail, headEnd, separatorEnd, j);
      if (byte > 0x7f) return -1;
      k1 = (k1 << 8) | byte;
    }
    h1 ^= scramble(k1);
  }
  return finalize(h1, length);
}

function murmur3Bytes(data: Uint8Array, seed: number): number {
  const length = data.length;
  const blocks = length - (length & 3);
  let h1 = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    h1 = mixBlock(h1, data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
  }
  if (blocks < length) {
    let k1 = 0;
    for (let j = length - 1; j >= blocks; j--) k1 = (k1 << 8) | data[j];
    h1 ^= scramble(k1);
  }
  return finalize(h1, length);
}

function scramble(k1: number): number {
  k1 = Math.imul(k1, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  return Math.imul(k1, C2);
}

/** One 4-byte block folded into the running hash. */
function mixBlock(h1: number, k1: number): number {
  h1 ^= scramble(k1);
  h1 = (h1 << 13) | (h1 >>> 19);
  return (Math.imul(h1, 5) + 0xe6546b64) | 0;
}

function finalize(hash: number, length: number): number {
  let h1 = hash ^ length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}
