import { runKeysCli } from './cli/keys.cli';
import { DemoConfigError, loadDemoConfig } from './config/demo.config';

/** `npm run keys -- <command>`: see USAGE in cli/keys.cli.ts. */
async function main(): Promise<number> {
  let config;
  try {
    config = loadDemoConfig();
  } catch (error) {
    if (!(error instanceof DemoConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  return runKeysCli(process.argv.slice(2), config, {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
