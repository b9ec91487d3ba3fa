import { buildFlag } from '../models/feature-flag.model';
import { isInRollout, rolloutBucket, selectVariant, variantBucket } from './bucketing';

describe('bucketing', () => {
  it('matches the published vectors', () => {
    expect(rolloutBucket('new_checkout', 'user-123')).toBe(2);
    expect(variantBucket('new_checkout', 'user-123')).toBe(71);
    expect(rolloutBucket('test-flag', 'user-1')).toBe(44);
  });

  it('puts a key in a rollout when its bucket is at or below the percentage', () => {
    // bucket 44
    expect(isInRollout('test-flag', 'user-1', 44)).toBe(true);
    expect(isInRollout('test-flag', 'user-1', 43)).toBe(false);
    expect(isInRollout('test-flag', 'user-1', 100)).toBe(true);
    expect(isInRollout('test-flag', 'user-1', 0)).toBe(false);
  });

  it('places nobody without a targeting key', () => {
    expect(isInRollout('test-flag', undefined, 100)).toBe(false);
    expect(isInRollout('test-flag', '', 100)).toBe(false);
  });

  it('lands a 30% rollout over 10,000 ids between 28% and 32%', () => {
    let inside = 0;
    for (let i = 0; i < 10_000; i++) if (isInRollout('distribution', `user-${i}`, 30)) inside++;
    expect(inside).toBeGreaterThanOrEqual(2_800);
    expect(inside).toBeLessThanOrEqual(3_200);
  });

  it('keeps everyone who was in at 20% when the rollout grows to 50%', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `account-${i}`);
    const at20 = ids.filter((id) => isInRollout('growing', id, 20));
    expect(at20.length).toBeGreaterThan(0);
    expect(at20.every((id) => isInRollout('growing', id, 50))).toBe(true);
  });

  describe('selectVariant', () => {
    const flag = buildFlag({
      key: 'new_checkout',
      flagType: 'string',
      // Deliberately unsorted: selection sorts by key.
      variants: [
        { key: 'b-treatment', value: 'B', weight: 50 },
        { key: 'a-control', value: 'A', weight: 50 },
      ],
    });

    it('walks variants sorted by key until the cumulative weight exceeds the bucket', () => {
      // variant bucket 71: a-control covers 0–49, b-treatment 50–99
      expect(selectVariant('new_checkout', 'user-123', flag.variants)?.key).toBe('b-treatment');
    });

    it('splits traffic by weight', () => {
      const counts = new Map<string, number>();
      for (let i = 0; i < 10_000; i++) {
        const key = selectVariant('new_checkout', `u${i}`, flag.variants)?.key ?? 'none';
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      expect(counts.get('a-control')).toBeGreaterThan(4_700);
      expect(counts.get('b-treatment')).toBeGreaterThan(4_700);
      expect(counts.has('none')).toBe(false);
    });

    it('gives the last variant (by key) to buckets beyond weights that sum to less than 100', () => {
      // litestar-flags and LaunchDarkly fall back the same way: weights 10 + 50 cover buckets 0–59.
      const partial = [
        { ...flag.variants[0], key: 'b', weight: 50 },
        { ...flag.variants[1], key: 'a', weight: 10 },
      ];
      for (let i = 0; i < 1_000; i++) {
        const bucket = variantBucket('partial', `u${i}`);
        const expected = bucket < 10 ? 'a' : 'b';
        expect(selectVariant('partial', `u${i}`, partial)?.key).toBe(expected);
      }
      expect(selectVariant('partial', 'u1', [])).toBeNull();
    });
  });
});
