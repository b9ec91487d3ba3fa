const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@\s]*)@/gi;
const PASSWORD_PAIR = /\b(password|passwd|pwd|pass)=([^&\s;]+)/gi;

/**
 * Scrubs credentials from text that may quote a connection string: driver errors, startup errors,
 * evaluation error messages. `redis://user:secret@host` becomes `redis://user:***@host`.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_, scheme: string, user: string) => `${scheme}${user}:***@`)
    .replace(PASSWORD_PAIR, (_, key: string) => `${key}=***`);
}

/** The message of anything thrown, with credentials scrubbed. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactSecrets(message);
}
