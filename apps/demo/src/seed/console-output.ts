/**
 * Where the demo prints what must reach the operator's terminal but never a log pipeline: the
 * admin key of the first start. Tests provide their own.
 */
export const CONSOLE_OUTPUT = 'CONSOLE_OUTPUT';

export interface ConsoleOutput {
  write(text: string): void;
}

export const stdoutOutput: ConsoleOutput = { write: (text) => void process.stdout.write(text) };
