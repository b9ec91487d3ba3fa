/** Stops every server the global setup started and removes their data. */
export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__GATEKEEPER_TEST_SERVERS__ ?? [];
  await Promise.all(servers.map((server) => server.close()));
  globalThis.__GATEKEEPER_TEST_SERVERS__ = [];
}
