import { RE2JS } from 're2js';

/**
 * The `matches` operator runs patterns from stored flags against request data (User-Agent, …),
 * so it must not be a denial-of-service lever: patterns run on RE2JS, an RE2 engine that
 * matches in time linear in the subject (no backtracking, so `(a+)+$` is as cheap as `a+`),
 * and a subject longer than MAX_PATTERN_SUBJECT_LENGTH never matches. RE2 syntax is Perl's
 * without backreferences and lookaround (README, "Operators").
 */
export const MAX_PATTERN_SUBJECT_LENGTH = 1024;

/** Compiled patterns by source; `null` for one RE2 cannot compile (it never matches). */
const compiled = new Map<string, RE2JS | null>();
const MAX_COMPILED_PATTERNS = 500;

/** Like Python's `re.match`: the pattern must match at the start, not necessarily the end. */
export function matchesAtStart(subject: string, pattern: unknown): boolean {
  if (typeof pattern !== 'string' || subject.length > MAX_PATTERN_SUBJECT_LENGTH) return false;
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const result = compile(pattern);
    regex = typeof result === 'string' ? null : result;
    if (compiled.size >= MAX_COMPILED_PATTERNS) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex !== null && regex.matcher(subject).lookingAt();
}

/** Why RE2 cannot run `pattern`, or `null` when it can. */
export function patternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string') return 'the pattern must be a string';
  const result = compile(pattern);
  return typeof result === 'string' ? result : null;
}

/** The compiled pattern, or why it does not compile. */
function compile(pattern: string): RE2JS | string {
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
