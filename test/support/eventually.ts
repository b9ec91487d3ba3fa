export interface PollOptions {
  /** How many times `check` runs at most (default 200). */
  attempts?: number;
  /** The pause after a check that did not hold, in milliseconds (default 25). */
  everyMs?: number;
}

/**
 * Polls until `check` holds, for effects the library runs in the background (pub/sub, replication,
 * a write after the response), and resolves whether it did: `expect(await eventually(…)).toBe(true)`.
 * Bounded by a number of checks (by default 200, 25 ms apart: about five seconds plus the checks'
 * own time); it never asserts on how long the effect took. A check that throws fails at once.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  { attempts = 200, everyMs = 25 }: PollOptions = {},
): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

/**
 * Runs `attempt` until it resolves, for servers that take a while to come up or over: its result,
 * or its last error once `withinMs` have passed.
 */
export async function retrying<T>(
  attempt: () => Promise<T>,
  { withinMs, everyMs }: { withinMs: number; everyMs: number },
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
