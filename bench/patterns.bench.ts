import { FeatureFlagClient, MemoryFeatureFlagStorage } from '@gatekeeper/feature-flags';
import { nsPerOp } from './support/measure';
import { fmt, type PartResult } from './support/result';

/**
 * Part g: the ReDoS of issue 13. A rule `userAgent matches (a+)+$` takes a backtracking engine
 * over a second at 28 characters that fail at the end, and hours at 40. `matches` runs on RE2
 * (linear time) and never matches a subject longer than 1,024 characters
 * (`MAX_PATTERN_SUBJECT_LENGTH` in libs/feature-flags/src/evaluation/pattern.ts), so a 100 KB
 * User-Agent costs a length check.
 */
const PATTERN = '(a+)+$';
const SUBJECT_CAP = 1024;
const TARGET_NS = 1_000_000;

const SUBJECTS: Array<{ label: string; subject: string }> = [
  { label: "'a' × 27 + 'b' (seconds when backtracking)", subject: 'a'.repeat(27) + 'b' },
  { label: "'a' × 1,024 (the longest subject matched)", subject: 'a'.repeat(SUBJECT_CAP) },
  { label: "'a' × 1,023 + 'b'", subject: 'a'.repeat(SUBJECT_CAP - 1) + 'b' },
  { label: "'a' × 1,025 (over the cap)", subject: 'a'.repeat(SUBJECT_CAP + 1) },
  { label: "'a' × 100,000", subject: 'a'.repeat(100_000) },
  { label: "'a' × 99,999 + 'b'", subject: 'a'.repeat(99_999) + 'b' },
];

export async function runPatterns(): Promise<PartResult> {
  const storage = new MemoryFeatureFlagStorage();
  await storage.createFlag({
    key: 'redos',
    defaultEnabled: false,
    rules: [
      {
        name: 'a-run',
        conditions: [{ attribute: 'userAgent', operator: 'matches', value: PATTERN }],
        serveEnabled: true,
      },
    ],
  });
  const client = new FeatureFlagClient({ storage, logger: false });

  const measured = [];
  for (const { label, subject } of SUBJECTS) {
    const context = { userAgent: subject };
    const matched = await client.isEnabled('redos', context);
    // Bounded in time (nsPerOp) and in calls: a slow engine shows as a slow row, not a hang.
    const ns = await nsPerOp(() => client.isEnabled('redos', context), {
      ms: 200,
      warmupMs: 20,
      maxOps: 2_000_000,
    });
    const expected = subject.length <= SUBJECT_CAP && /^a+$/.test(subject);
    measured.push({ label, length: subject.length, matched, expected, ns });
  }

  const long = measured.filter((row) => row.length >= 100_000);
  const slowest = Math.max(...long.map((row) => row.ns));
  const wrong = measured.filter((row) => row.matched !== row.expected);
  return {
    part: 'g',
    title: `g) A rule \`userAgent matches ${PATTERN}\`: one evaluation (µs per call, lower is better)`,
    headers: ['User-Agent', 'characters', 'matches', 'µs per evaluation'],
    rows: measured.map((row) => [
      row.label,
      fmt(row.length),
      row.matched ? 'yes' : 'no',
      fmt(row.ns / 1000, 2),
    ]),
    targets: [
      {
        name: `g: a \`${PATTERN}\` rule with a 100 KB subject evaluates in under a millisecond`,
        met: slowest < TARGET_NS,
        detail: `${fmt(slowest / 1000, 2)} µs`,
      },
      {
        name: `g: subjects over ${fmt(SUBJECT_CAP)} characters never match, shorter ones match as RE2 says`,
        met: wrong.length === 0,
        detail:
          wrong.length === 0
            ? 'yes'
            : wrong
                .map((row) => `${row.label}: ${row.matched ? 'matched' : 'no match'}`)
                .join('; '),
      },
    ],
    notes: [
      "FeatureFlagClient.isEnabled over the memory storage (each call awaited); the flag's only rule is the pattern. Each row runs about 200 ms.",
    ],
  };
}
