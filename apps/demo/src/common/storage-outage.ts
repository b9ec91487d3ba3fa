import type { ApiKeyStorage } from '@gatekeeper/api-auth';
import { withTimeout } from '@gatekeeper/common';
import type { FeatureFlagStorage } from '@gatekeeper/feature-flags';

/** How long the probe waits for a storage's health check: the health route's bound. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether a storage is down right now. The storages reject with their driver's errors when the
 * backend is unreachable (a closed Redis connection, a refused PostgreSQL one), which look like
 * any other unexpected error; an error that arrives while a storage fails its health check is
 * taken to be the outage's, and answered 503 rather than 500.
 */
export async function storageIsDown(
  storages: ReadonlyArray<FeatureFlagStorage | ApiKeyStorage>,
): Promise<boolean> {
  const healthy = await Promise.all(
    storages.map((storage) =>
      withTimeout(storage.healthCheck(), PROBE_TIMEOUT_MS, 'storage health check').catch(
        () => false,
      ),
    ),
  );
  return healthy.includes(false);
}
