/** How long the run may take to exit by itself once every server is stopped. */
const EXIT_GRACE_MS = 10_000;

/**
 * Stops every server the global setup started and removes their data. Then, if the process is
 * still alive after EXIT_GRACE_MS, something a test or the libraries opened was never closed (a
 * client, a timer that re-arms itself): a user's application would not exit either. The run then
 * fails, naming what is left, instead of hanging until CI gives up.
 */
export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__GATEKEEPER_TEST_SERVERS__ ?? [];
  await Promise.all(servers.map((server) => server.close()));
  globalThis.__GATEKEEPER_TEST_SERVERS__ = [];
  setTimeout(failOnLeftovers, EXIT_GRACE_MS).unref();
}

function failOnLeftovers(): void {
  const handles = (process as unknown as { _getActiveHandles(): object[] })
    ._getActiveHandles()
    .filter((handle) => ![process.stdin, process.stdout, process.stderr].includes(handle as never))
    .map(describeHandle);
  process.stderr.write(
    `\nThe test run did not exit ${EXIT_GRACE_MS / 1000} s after its servers stopped: ` +
      'something opened by a test or by the libraries was never closed.\n' +
      `  active resources: ${process.getActiveResourcesInfo().join(', ')}\n` +
      handles.map((handle) => `  ${handle}\n`).join(''),
  );
  process.exit(1);
}

function describeHandle(handle: object): string {
  const { remoteAddress, remotePort, localPort, spawnargs } = handle as {
    remoteAddress?: string;
    remotePort?: number;
    localPort?: number;
    spawnargs?: string[];
  };
  const name = handle.constructor.name;
  if (spawnargs) return `${name}: ${spawnargs.join(' ')}`;
  if (remotePort !== undefined) return `${name}: ${localPort} -> ${remoteAddress}:${remotePort}`;
  if (localPort !== undefined) return `${name}: listening on ${localPort}`;
  return name;
}
