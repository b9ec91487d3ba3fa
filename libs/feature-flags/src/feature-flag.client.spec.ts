import type { LoggerService } from '@nestjs/common';
import { OUTAGE_MESSAGE, OutageStorage } from '../../../test/feature-flags/support/outage.storage';
import { FeatureFlagClient } from './feature-flag.client';
import { MemoryFeatureFlagStorage } from './storage/memory.storage';

describe('FeatureFlagClient', () => {
  let storage: MemoryFeatureFlagStorage;
  let client: FeatureFlagClient;

  beforeEach(async () => {
    storage = new MemoryFeatureFlagStorage();
    client = new FeatureFlagClient({ storage, logger: false });
    await storage.createFlag({ key: 'dark-mode', defaultEnabled: true });
    await storage.createFlag({ key: 'checkout-copy', flagType: 'string', defaultValue: 'Buy now' });
    await storage.createFlag({ key: 'max-items', flagType: 'number', defaultValue: 25 });
    await storage.createFlag({
      key: 'theme',
      flagType: 'json',
      defaultValue: { primary: '#000', sizes: [1, 2] },
    });
    await storage.createFlag({ key: 'unset-copy', flagType: 'string' });
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

  describe('typed values', () => {
    it('return the value of a flag of the asked type', async () => {
      expect(await client.getBooleanValue('dark-mode', false)).toBe(true);
      expect(await client.getStringValue('checkout-copy', 'x')).toBe('Buy now');
      expect(await client.getNumberValue('max-items', 0)).toBe(25);
      expect(await client.getObjectValue('theme', {})).toEqual({ primary: '#000', sizes: [1, 2] });
    });

    it('return full details', async () => {
      expect(await client.getStringDetails('checkout-copy', 'x')).toEqual({
        value: 'Buy now',
        flagKey: 'checkout-copy',
        reason: 'STATIC',
        variant: null,
        errorCode: null,
        errorMessage: null,
      });
    });

    it("serve the caller's default for a missing flag", async () => {
      const details = await client.getNumberDetails('missing', 7);
      expect(details).toMatchObject({ value: 7, reason: 'DEFAULT', errorCode: 'FLAG_NOT_FOUND' });
      expect(await client.getBooleanValue('missing', true)).toBe(true);
    });

    it("serve the caller's default, flagged TYPE_MISMATCH, for a value of another type", async () => {
      expect(await client.getNumberDetails('checkout-copy', 3)).toMatchObject({
        value: 3,
        reason: 'ERROR',
        errorCode: 'TYPE_MISMATCH',
        errorMessage: expect.stringContaining('checkout-copy'),
      });
      expect(await client.getStringValue('dark-mode', 'off')).toBe('off');
      expect(await client.getObjectValue('max-items', { fallback: true })).toEqual({
        fallback: true,
      });
    });

    it("serve the caller's default without an error when the flag has no value", async () => {
      expect(await client.getStringDetails('unset-copy', 'fallback')).toMatchObject({
        value: 'fallback',
        reason: 'DEFAULT',
        errorCode: null,
      });
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

    it('reports a malformed context instead of throwing', async () => {
      const details = await client.getBooleanDetails('eu-beta', true, {
        userId: 42 as unknown as string,
      });
      expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
      expect(await client.isEnabled('dark-mode', 'u1' as never)).toBe(false);
    });
  });

  describe('overrides', () => {
    it('apply to the matching user, organization or tenant', async () => {
      const flag = (await storage.getFlag('dark-mode'))!;
      await storage.createOverride({
        flagId: flag.id,
        entityType: 'organization',
        entityId: 'acme',
        enabled: false,
      });
      expect(
        await client.getBooleanDetails('dark-mode', true, { organizationId: 'acme' }),
      ).toMatchObject({ value: false, reason: 'OVERRIDE' });
      expect(await client.isEnabled('dark-mode', { organizationId: 'other' })).toBe(true);
    });

    it('stop applying once expired', async () => {
      const flag = (await storage.getFlag('dark-mode'))!;
      await storage.createOverride({
        flagId: flag.id,
        entityType: 'user',
        entityId: 'u1',
        enabled: false,
        expiresAt: new Date(Date.now() - 1),
      });
      expect(await client.isEnabled('dark-mode', { userId: 'u1' })).toBe(true);
    });
  });

  describe('bulk evaluation', () => {
    it('getFlags reads all flags in one storage call and reports missing ones', async () => {
      const getFlags = jest.spyOn(storage, 'getFlags');
      const getFlag = jest.spyOn(storage, 'getFlag');
      const results = await client.getFlags(['dark-mode', 'max-items', 'missing', 'dark-mode']);
      expect(getFlags).toHaveBeenCalledTimes(1);
      expect(getFlag).not.toHaveBeenCalled();
      expect(Object.keys(results).sort()).toEqual(['dark-mode', 'max-items', 'missing']);
      expect(results['dark-mode']).toMatchObject({ value: true, reason: 'STATIC' });
      expect(results['max-items']).toMatchObject({ value: 25 });
      expect(results.missing).toMatchObject({ value: null, errorCode: 'FLAG_NOT_FOUND' });
    });

    it('getAllFlags evaluates every active flag', async () => {
      await storage.createFlag({ key: 'retired', status: 'archived', defaultEnabled: true });
      const results = await client.getAllFlags({ userId: 'u1' });
      expect(Object.keys(results).sort()).toEqual([
        'checkout-copy',
        'dark-mode',
        'max-items',
        'theme',
        'unset-copy',
      ]);
      expect(results.theme.value).toEqual({ primary: '#000', sizes: [1, 2] });
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

    it("serves the caller's default with reason ERROR and GENERAL, never throwing", async () => {
      const details = await failing.getBooleanDetails('dark-mode', false);
      expect(details).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'GENERAL' });
      expect(await failing.isEnabled('dark-mode')).toBe(false);
      expect(await failing.getStringValue('dark-mode', 'safe')).toBe('safe');
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

    it('marks every key of getFlags as failed and gives getAllFlags nothing', async () => {
      const results = await failing.getFlags(['dark-mode', 'other']);
      expect(results['dark-mode']).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
      expect(results.other).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
      expect(await failing.getAllFlags()).toEqual({});
    });
  });
});
