import type { FlagVariant } from '../models/feature-flag.model';
import { murmur3Joined } from './murmur3';

/** 1–100: a targeting key is in a rollout of `p` percent when its bucket is ≤ p. */
export function rolloutBucket(flagKey: string, targetingKey: string): number {
  return (murmur3Joined(String(flagKey), ':', String(targetingKey)) % 100) + 1;
}

/** 0–99: picks a variant; hashed separately so rollout and split membership are independent. */
export function variantBucket(flagKey: string, targetingKey: string): number {
  return murmur3Joined(String(flagKey), ':variant:', String(targetingKey)) % 100;
}

/**
 * Whether a targeting key falls inside a rollout. Buckets are stable, so raising the percentage
 * only ever adds keys. Without a targeting key nobody can be placed, so the answer is no.
 */
export function isInRollout(
  flagKey: string,
  targetingKey: string | undefined,
  percentage: number,
): boolean {
  if (targetingKey === undefined || targetingKey === '') return false;
  return rolloutBucket(flagKey, targetingKey) <= percentage;
}

/**
 * The variant for a targeting key: variants sorted by key, the first whose cumulative weight
 * exceeds the bucket. When the weights add up to less than 100, the buckets beyond them get the
 * last variant (as litestar-flags and LaunchDarkly do); `null` only without variants.
 */
export function selectVariant(
  flagKey: string,
  targetingKey: string,
  variants: readonly FlagVariant[],
): FlagVariant | null {
  const bucket = variantBucket(flagKey, targetingKey);
  const sorted = [...variants].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let cumulative = 0;
  for (const variant of sorted) {
    cumulative += variant.weight;
    if (bucket < cumulative) return variant;
  }
  return sorted.at(-1) ?? null;
}

/** Variants whose weights add up to 0 are named values only, never a split. */
export function splitsTraffic(variants: readonly FlagVariant[]): boolean {
  for (const variant of variants) if (variant.weight > 0) return true;
  return false;
}
