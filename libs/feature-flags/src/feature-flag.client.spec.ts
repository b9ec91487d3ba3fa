import type { LoggerService } from '@nestjs/common';
import { OUTAGE_MESSAGE, OutageStorage } from '../../../test/feature-flags/support/outage.storage';
import { FeatureFlagClient } from './feature-flag.client';
import { MemoryFeatureFlagStorage } from './storage/memory.storage';

// Evaluation scenarios, through every kind of storage: test/feature-flags/evaluation-contract.e2e-spec.ts
describe('FeatureFlagClient', () => {
  let storage: MemoryFeatureFlagStorage;
  let client: FeatureFlagClient;

  beforeEach(async () => {
    storage = new MemoryFeatureFlagStorage();
    client = new FeatureFlagClient({ storage, logger: false });
    await storage.createFlag({ key: 'dark-mode', defaultEnabled: true });
    await storage.createFlag({ key: 'max-items', flagType: 'number', defaultValue: 25 });
  });

  it('is constructible with just a storage', async () => {
    expect(await new FeatureFlagClient({ storage }).isEnabled('dark-mode')).toBe(true);
  });

  describe('isEnabled', () => {
    it('answers for boolean flags, and false for a missing one', async () => {
      expect(await client.isEnabled('dark-mode')).toBe(true);
      expect(await client.isEnabled('nope')).toBe(false);
    });

    it('follows the enabled state of a non-boolean flag', async () => {
      await storage.createFlag({
        key: 'banner',
        flagType: 'string',
        defaultValue: 'hello',
        rules: [
          {
            conditions: [{ attribute: 'country', operator: 'eq', value: 'FR' }],
            serveValue: 'salut',
          },
        ],
      });
      expect(await client.isEnabled('banner', { country: 'FR' })).toBe(true);
      expect(await client.isEnabled('banner', { country: 'DE' })).toBe(false);
    });
  });

  describe('context', () => {
    beforeEach(async () => {
      await storage.createFlag({
        key: 'eu-beta',
        rules: [
          {
            name: 'eu-staff',
            conditions: [
              { attribute: 'country', operator: 'in', value: ['DE', 'FR'] },
              { attribute: 'role', operator: 'eq', value: 'staff' },
            ],
          },
        ],
      });
    });

    it('merges the default context under the given one', async () => {
      const withDefaults = new FeatureFlagClient({
        storage,
        logger: false,
        defaultContext: { country: 'DE', attributes: { role: 'staff', team: 'a' } },
      });
      expect(await withDefaults.isEnabled('eu-beta')).toBe(true);
      expect(await withDefaults.isEnabled('eu-beta', { country: 'US' })).toBe(false);
      expect(await withDefaults.isEnabled('eu-beta', { attributes: { team: 'b' } })).toBe(true);
    });

    it('uses the userId as targeting key when none is given', async () => {
      await storage.createFlag({ key: 'new_checkout', rules: [{ rolloutPercentage: 2 }] });
      // new_checkout / user-123 falls in bucket 2.
      expect(
        await client.getBooleanDetails('new_checkout', false, { userId: 'user-123' }),
      ).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    });
  });

  it('evaluates a context as it was when called, even when the storage answers later', async () => {
    const flag = (await storage.getFlag('dark-mode'))!;
    await storage.createOverride({
      flagId: flag.id,
      entityType: 'user',
      entityId: 'u1',
      enabled: false,
    });
    const later = new FeatureFlagClient({ storage: new OutageStorage(storage), logger: false });
    const context = { userId: 'u1' };
    const pending = later.getBooleanDetails('dark-mode', true, context);
    context.userId = 'u2';
    expect(await pending).toMatchObject({ value: false, reason: 'OVERRIDE' });
  });

  describe('bulk evaluation', () => {
    it('getFlags reads all flags in one storage call and reports missing ones', async () => {
      const plain = new OutageStorage(storage);
      const getFlags = jest.spyOn(plain, 'getFlags');
      const getFlag = jest.spyOn(plain, 'getFlag');
      const viaPlain = new FeatureFlagClient({ storage: plain, logger: false });
      for (const bulk of [client, viaPlain]) {
        const results = await bulk.getFlags(['dark-mode', 'max-items', 'missing', 'dark-mode']);
        expect(Object.keys(results)).toEqual(['dark-mode', 'max-items', 'missing']);
        expect(results['dark-mode']).toMatchObject({ value: true, reason: 'STATIC' });
        expect(results['max-items']).toMatchObject({ value: 25 });
        expect(results.missing).toMatchObject({ value: null, errorCode: 'FLAG_NOT_FOUND' });
      }
      expect(getFlags).toHaveBeenCalledTimes(1);
      expect(getFlag).not.toHaveBeenCalled();
    });
  });

  describe('when the storage fails', () => {
    let outage: OutageStorage;
    let warnings: string[];
    let failing: FeatureFlagClient;

    beforeEach(async () => {
      outage = new OutageStorage();
      await outage.createFlag({ key: 'dark-mode', defaultEnabled: true });
      outage.state = 'down';
      warnings = [];
      const logger: LoggerService = {
        log: () => undefined,
        error: () => undefined,
        warn: (message: string) => warnings.push(message),
      };
      failing = new FeatureFlagClient({ storage: outage, logger });
    });

    it('scrubs the password from the error message and the log', async () => {
      const details = await failing.getBooleanDetails('dark-mode', false);
      expect(details.errorMessage).toContain('ECONNREFUSED');
      expect(details.errorMessage).not.toContain('s3cret-pw');
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.join('\n')).not.toContain('s3cret-pw');
      expect(OUTAGE_MESSAGE).toContain('s3cret-pw');
    });

    it('fails overrides lookups the same way', async () => {
      outage.affected = ['getOverride'];
      expect(await failing.getBooleanDetails('dark-mode', false, { userId: 'u1' })).toMatchObject({
        value: false,
        errorCode: 'GENERAL',
      });
    });
  });
});
