import {
  ForbiddenException,
  Logger,
  NotFoundException,
  type ExecutionContext,
} from '@nestjs/common';
import { GatekeeperConfigError } from '@gatekeeper/common';
import { OutageStorage } from '../../../test/feature-flags/support/outage.storage';
import { ModuleRef, Reflector } from '@nestjs/core';
import { FeatureFlag } from './feature-flag.decorator';
import { FeatureFlagClient } from './feature-flag.client';
import { featureFlagGuardProvider, FeatureFlagGuard } from './feature-flag.guard';
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
    getArgByIndex: (index: number) => [request, {}][index],
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

  /** The guard's verdict however it comes (a boolean or a promise): true, or what it threw. */
  const decide = async (guard: FeatureFlagGuard, request: object = { headers: {} }) =>
    guard.canActivate(httpContext(request));

  it('lets the request through while the flag is on, then from the cache without a read', async () => {
    const guard = guardFor();
    await expect(decide(guard)).resolves.toBe(true);
    const reads = jest.spyOn(memory, 'getFlag');
    await expect(decide(guard)).resolves.toBe(true);
    expect(reads).not.toHaveBeenCalled();
  });

  it('refuses with a 404 when the flag is off', async () => {
    await memory.updateFlag({ ...(await memory.getFlag('new_checkout'))!, defaultEnabled: false });
    const guard = guardFor();
    await expect(decide(guard)).rejects.toBeInstanceOf(NotFoundException);
    await expect(decide(guard)).rejects.toBeInstanceOf(NotFoundException);
  });

  it('waits for an asynchronous contextResolver, and for a storage without a cache', async () => {
    const targeted = await memory.createFlag({ key: 'vip', defaultEnabled: false });
    await memory.createOverride({ flagId: targeted.id, entityType: 'user', entityId: 'u-1' });
    class VipController {
      @FeatureFlag('vip')
      area() {}
    }
    const vipContext = {
      ...httpContext({}),
      getHandler: () => VipController.prototype.area,
      getClass: () => VipController,
    } as ExecutionContext;
    const resolver = { contextResolver: () => Promise.resolve({ userId: 'u-1' }) };
    for (const guard of [guardFor(resolver), guardFor(resolver, new OutageStorage(memory))]) {
      await expect(guard.canActivate(vipContext)).resolves.toBe(true);
    }
    await expect(decide(guardFor({}, new OutageStorage(memory)))).resolves.toBe(true);
  });

  it("serves the flag's defaultValue when the contextResolver throws", async () => {
    const guard = guardFor({
      contextResolver: () => {
        throw new Error('no session store');
      },
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await expect(decide(guard)).rejects.toBeInstanceOf(NotFoundException);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('no session store'));
    warn.mockRestore();
  });

  it('evaluates the memory storage as it is now, without a cache', async () => {
    const guard = guardFor({}, memory);
    await expect(decide(guard)).resolves.toBe(true);
    await memory.updateFlag({ ...(await memory.getFlag('new_checkout'))!, defaultEnabled: false });
    await expect(decide(guard)).rejects.toBeInstanceOf(NotFoundException);
  });

  it('runs hooks that answer with promises', async () => {
    class AsyncHooksGuard extends FeatureFlagGuard {
      protected override getRequest(context: ExecutionContext): Promise<unknown> {
        return Promise.resolve(super.getRequest(context));
      }
      protected override async getEvaluationContext(request: unknown) {
        const header = (request as { headers: Record<string, string> }).headers['x-plan'];
        return { attributes: { plan: header } };
      }
      protected override async createException(): Promise<Error> {
        return new ForbiddenException('upgrade your plan');
      }
    }
    await memory.deleteFlag('new_checkout');
    await memory.createFlag({
      key: 'new_checkout',
      rules: [{ name: 'pro', conditions: [{ attribute: 'plan', operator: 'eq', value: 'pro' }] }],
    });
    const guard = new AsyncHooksGuard(
      new FeatureFlagClient({ storage: cached, logger: false }),
      new Reflector(),
    );
    await expect(decide(guard, { headers: { 'x-plan': 'pro' } })).resolves.toBe(true);
    await expect(decide(guard, { headers: { 'x-plan': 'free' } })).rejects.toThrow(
      'upgrade your plan',
    );
  });

  it('is provided as the class named by the guard option, and refuses any other class', async () => {
    class CustomGuard extends FeatureFlagGuard {}
    const created: unknown[] = [];
    const moduleRef = {
      create: async (type: new () => unknown) => {
        created.push(type);
        return {};
      },
    } as unknown as ModuleRef;
    const { useFactory } = featureFlagGuardProvider();
    await useFactory({ guard: CustomGuard }, moduleRef);
    await useFactory({}, moduleRef);
    expect(created).toEqual([CustomGuard, FeatureFlagGuard]);
    expect(() => useFactory({ guard: class NotAGuard {} as never }, moduleRef)).toThrow(
      GatekeeperConfigError,
    );
  });
});
