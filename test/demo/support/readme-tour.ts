import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `curl` line of the README tour and the status its `# → NNN …` comment promises. */
export interface TourStep {
  /** The command as written (continuation lines joined). */
  command: string;
  /** Seconds of a `sleep N` line right before the command: the answer shows what time did. */
  waitSeconds: number;
  documentedStatus: number;
  /** The `# → …` comment after the status: the documented body. */
  documentedBody: string;
}

export interface TourResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any route
}

const README = join(__dirname, '../../../README.md');

/** The shell lines of the README's "Five-minute tour" section, continuation lines joined. */
function tourLines(): string[][] {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf('\n## Five-minute tour');
  if (start === -1) throw new Error('README.md has no "## Five-minute tour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, block]) =>
    block.replace(/\\\n\s*/g, '').split('\n'),
  );
}

/** The `npm run keys -- …` lines of the tour, in order. */
export function readTourKeysCommands(): string[] {
  return tourLines()
    .flat()
    .filter((line) => line.startsWith('npm run keys -- '));
}

/** The `curl` commands of the README's "Five-minute tour" section, in order. */
export function readTour(): TourStep[] {
  const steps: TourStep[] = [];
  for (const lines of tourLines()) {
    let waitSeconds = 0;
    lines.forEach((line, index) => {
      const sleep = /^sleep (\d+)$/.exec(line);
      if (sleep) waitSeconds = Number(sleep[1]);
      if (!line.startsWith('curl ')) return;
      const promise = lines.slice(index + 1).find((next) => next.trim() !== '');
      const documented = /^# → (\d{3})\b ?(.*)$/.exec(promise ?? '');
      if (!documented) {
        throw new Error(`README tour: "${line}" is not followed by "# → <status> …"`);
      }
      steps.push({
        command: line,
        waitSeconds,
        documentedStatus: Number(documented[1]),
        documentedBody: documented[2],
      });
      waitSeconds = 0;
    });
  }
  return steps;
}

/**
 * Runs a README `curl` line over HTTP as a shell and curl would: words split and quoted like sh,
 * `$VAR` expanded from `env`, `localhost:3000` replaced by the server under test. Only the curl
 * options the tour uses are understood; anything else fails the test rather than being ignored.
 */
export async function runCurl(
  command: string,
  env: Record<string, string | undefined>,
  baseUrl: string,
): Promise<TourResponse> {
  const [program, ...args] = shellWords(command, env);
  if (program !== 'curl') throw new Error(`not a curl command: ${command}`);
  let method: string | undefined;
  let body: string | undefined;
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-s' || arg === '-i' || arg === '-si') continue;
    if (arg === '-X') method = args[++i];
    else if (arg === '-H') {
      const [name, ...value] = args[++i].split(':');
      headers[name.trim()] = value.join(':').trim();
    } else if (arg === '-d') body = args[++i];
    else if (arg.startsWith('-')) throw new Error(`runCurl does not know curl option ${arg}`);
    else url = arg;
  }
  if (!url?.startsWith('localhost:3000/')) {
    throw new Error(`README tour URLs start with localhost:3000/ (got ${url})`);
  }
  const response = await fetch(`${baseUrl}${url.slice('localhost:3000'.length)}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? '' : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** POSIX-shell word splitting for one line: quotes, `$VAR` / `${VAR}`, `#` comments. */
export function shellWords(line: string, env: Record<string, string | undefined>): string[] {
  const words: string[] = [];
  let word: string | null = null;
  const expand = (name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`the README tour uses $${name}, which is not set`);
    return value;
  };
  const variable = /^\$(?:\{(\w+)\}|(\w+))/;
  for (let i = 0; i < line.length;) {
    const char = line[i];
    if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (char === '#' && word === null) {
      break;
    } else if (char === "'") {
      const close = line.indexOf("'", i + 1);
      if (close === -1) throw new Error(`unterminated ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close + 1;
    } else if (char === '"') {
      word ??= '';
      i++;
      while (i < line.length && line[i] !== '"') {
        const match = variable.exec(line.slice(i));
        if (match) {
          word += expand(match[1] ?? match[2]);
          i += match[0].length;
        } else if (line[i] === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) {
          word += line[i + 1];
          i += 2;
        } else {
          word += line[i++];
        }
      }
      if (line[i] !== '"') throw new Error(`unterminated " in: ${line}`);
      i++;
    } else {
      const match = variable.exec(line.slice(i));
      word ??= '';
      if (match) {
        word += expand(match[1] ?? match[2]);
        i += match[0].length;
      } else {
        word += char;
        i++;
      }
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * The `"name":value` pairs a README comment shows with a complete literal value (strings without
 * an ellipsis, numbers, booleans, null): each must occur somewhere in the actual body.
 */
export function documentedPairs(comment: string): Array<[string, unknown]> {
  const pairs: Array<[string, unknown]> = [];
  const pair = /"(\w+)":("(?:[^"\\…]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)(?=[,}\]])/g;
  for (const [, name, literal] of comment.matchAll(pair)) pairs.push([name, JSON.parse(literal)]);
  return pairs;
}

/** Whether `body` holds, at any depth, a property `name` equal to `value`. */
export function containsPair(body: unknown, name: string, value: unknown): boolean {
  if (Array.isArray(body)) return body.some((item) => containsPair(item, name, value));
  if (typeof body !== 'object' || body === null) return false;
  return Object.entries(body).some(
    ([key, child]) => (key === name && child === value) || containsPair(child, name, value),
  );
}
