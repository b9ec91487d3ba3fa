import type { LoggerService } from '@nestjs/common';

interface Entry {
  level: string;
  message: unknown;
  params: unknown[];
}

/** Everything Nest's Logger would print, at every level, kept for assertions. */
export class CapturingLogger implements LoggerService {
  readonly entries: Entry[] = [];

  /** Each entry as one searchable line: level, then message and params as JSON. */
  get lines(): string[] {
    return this.entries.map(
      ({ level, message, params }) => `${level} ${JSON.stringify([message, ...params])}`,
    );
  }

  /** Messages logged by one class (Nest passes the context as the last param). */
  from(context: string, level?: string): string[] {
    return this.entries
      .filter((entry) => entry.params.at(-1) === context && (!level || entry.level === level))
      .map((entry) => String(entry.message));
  }

  log(message: unknown, ...params: unknown[]) {
    this.entries.push({ level: 'log', message, params });
  }
  error(message: unknown, ...params: unknown[]) {
    this.entries.push({ level: 'error', message, params });
  }
  warn(message: unknown, ...params: unknown[]) {
    this.entries.push({ level: 'warn', message, params });
  }
  debug(message: unknown, ...params: unknown[]) {
    this.entries.push({ level: 'debug', message, params });
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.entries.push({ level: 'verbose', message, params });
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.entries.push({ level: 'fatal', message, params });
  }
}
