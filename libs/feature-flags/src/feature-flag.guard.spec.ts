import { NotFoundException, type ExecutionContext } from '@nestjs/common';
import { OutageStorage } from '../../../test/feature-flags/support/outage.storage';
import { Reflector } from '@nestjs/core';
import { FeatureFlag } from './feature-flag.decorator';
import { FeatureFlagClient } from './feature-flag.client';
import { FeatureFlagGuard } from './feature-flag.guard';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import { LocalCacheFeatureFlagStorage } from './storage/local-cache.storage';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import { MemoryFeatureFlagStorage } from './storage/memory.storage';

class FlaggedController {
  @FeatureFlag('new_checkout')
  checkout() {
    return 'ok';
  }
}

function httpContext(request: object): ExecutionContext {
  return {
    getHandler: () => FlaggedController.prototype.checkout,
    getClass: () => FlaggedController,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
}

describe('FeatureFlagGuard', () => {
  let memory: MemoryFeatureFlagStorage;
  let cached: LocalCacheFeatureFlagStorage;

  const guardFor = (
    options: FeatureFlagsModuleOptions = {},
    storage: FeatureFlagStorage = cached,
  ) =>
    new FeatureFlagGuard(
      new FeatureFlagClient({ storage, logger: false }),
      new Reflector(),
      options,
    );

  beforeEach(async () => {
    memory = new MemoryFeatureFlagStorage();
    cached = new LocalCacheFeatureFlagStorage(memory, { ttl: 30 });
    await memory.createFlag({ key: 'new_checkout', defaultEnabled: true });
  });

  afterEach(() => cached.close());

  it('answers synchronously once the flag is cached, with no storage read', async () => {
    const guard = guardFor();
    await expect(guard.canActivate(httpContext({ headers: {} }))).resolves.toBe(true);
    const reads = jest.spyOn(memory, 'getFlag');
    expect(guard.canActivate(httpContext({ headers: {} }))).toBe(true);
    expect(reads).not.toHaveBeenCalled();
  });

  it('refuses a cached flag that is off with a rejected promise, never a synchronous throw', async () => {
    await memory.updateFlag({ ...(await memory.getFlag('new_checkout'))!, defaultEnabled: false });
    const guard = guardFor();
    await expect(guard.canActivate(httpContext({ headers: {} }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    const second = guard.canActivate(httpContext({ headers: {} }));
    expect(second).toBeInstanceOf(Promise);
    await expect(second).rejects.toBeInstanceOf(NotFoundException);
  });

  it('waits for an asynchronous contextResolver, and for a storage without a cache', async () => {
    const asyncResolver = guardFor({ contextResolver: () => Promise.resolve({ userId: 'u-1' }) });
    await asyncResolver.canActivate(httpContext({}));
    const pending = asyncResolver.canActivate(httpContext({}));
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBe(true);

    const uncached = guardFor({}, new OutageStorage(memory));
    const read = uncached.canActivate(httpContext({ headers: {} }));
    expect(read).toBeInstanceOf(Promise);
    await expect(read).resolves.toBe(true);
  });

  it('answers synchronously over the memory storage, which needs no cache', async () => {
    const guard = guardFor({}, memory);
    expect(guard.canActivate(httpContext({ headers: {} }))).toBe(true);
    await memory.updateFlag({ ...(await memory.getFlag('new_checkout'))!, defaultEnabled: false });
    await expect(guard.canActivate(httpContext({ headers: {} }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });
});
