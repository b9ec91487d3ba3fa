import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GatekeeperConfigError } from '@gatekeeper/common';
import { FeatureFlagClient } from './feature-flag.client';
import { InjectFeatureFlagStorage } from './feature-flag.decorator';
import { FEATURE_FLAG_STORAGE } from './feature-flags.constants';
import { FeatureFlagsModule } from './feature-flags.module';
import type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
import { MemoryFeatureFlagStorage } from './storage/memory.storage';

@Injectable()
class FlagAdmin {
  constructor(@InjectFeatureFlagStorage() readonly storage: FeatureFlagStorage) {}
}

@Injectable()
class StorageSettings {
  readonly seed = 'seeded-flag';
}

/** A user-defined storage class: the module instantiates it with its dependencies injected. */
@Injectable()
class SeededStorage extends MemoryFeatureFlagStorage {
  closed = false;
  constructor(readonly settings: StorageSettings) {
    super();
  }
  override async close(): Promise<void> {
    this.closed = true;
  }
}

@Module({ providers: [StorageSettings], exports: [StorageSettings] })
class SettingsModule {}

describe('FeatureFlagsModule', () => {
  it('serves a memory storage, the client and @InjectFeatureFlagStorage by default', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot({})],
      providers: [FlagAdmin],
    }).compile();
    const admin = moduleRef.get(FlagAdmin);
    expect(admin.storage).toBeInstanceOf(MemoryFeatureFlagStorage);
    expect(moduleRef.get(FEATURE_FLAG_STORAGE)).toBe(admin.storage);

    await admin.storage.createFlag({ key: 'beta', defaultEnabled: true });
    expect(await moduleRef.get(FeatureFlagClient).isEnabled('beta')).toBe(true);
    await moduleRef.close();
  });

  it('passes defaultContext to the client', async () => {
    const storage = new MemoryFeatureFlagStorage();
    await storage.createFlag({
      key: 'staging-only',
      rules: [{ conditions: [{ attribute: 'environment', operator: 'eq', value: 'staging' }] }],
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        FeatureFlagsModule.forRoot({ storage, defaultContext: { environment: 'staging' } }),
      ],
    }).compile();
    expect(await moduleRef.get(FeatureFlagClient).isEnabled('staging-only')).toBe(true);
    await moduleRef.close();
  });

  it('builds options asynchronously with imports and inject', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        FeatureFlagsModule.forRootAsync({
          imports: [SettingsModule],
          inject: [StorageSettings],
          useFactory: (settings: StorageSettings) => ({
            defaultContext: { attributes: { seed: settings.seed } },
          }),
        }),
      ],
    }).compile();
    expect(moduleRef.get(FEATURE_FLAG_STORAGE)).toBeInstanceOf(MemoryFeatureFlagStorage);
    await moduleRef.close();
  });

  it('uses a storage instance as given and never closes it', async () => {
    const storage = new SeededStorage(new StorageSettings());
    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot({ storage })],
    }).compile();
    expect(moduleRef.get(FEATURE_FLAG_STORAGE)).toBe(storage);
    await moduleRef.close();
    expect(storage.closed).toBe(false);
  });

  it('instantiates a storage class with its dependencies and closes it at shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        FeatureFlagsModule.forRootAsync({
          imports: [SettingsModule],
          useFactory: () => ({ storage: SeededStorage }),
        }),
      ],
    }).compile();
    const storage = moduleRef.get<SeededStorage>(FEATURE_FLAG_STORAGE);
    expect(storage).toBeInstanceOf(SeededStorage);
    expect(storage.settings.seed).toBe('seeded-flag');
    await moduleRef.close();
    expect(storage.closed).toBe(true);
  });

  it('is visible everywhere with isGlobal', async () => {
    @Module({ providers: [FlagAdmin], exports: [FlagAdmin] })
    class ConsumerModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot({ isGlobal: true }), ConsumerModule],
    }).compile();
    expect(moduleRef.get(FlagAdmin).storage).toBeInstanceOf(MemoryFeatureFlagStorage);
    await moduleRef.close();
  });

  it('stays private to its importer without isGlobal', async () => {
    @Module({ providers: [FlagAdmin] })
    class ConsumerModule {}

    await expect(
      Test.createTestingModule({
        imports: [FeatureFlagsModule.forRoot({}), ConsumerModule],
      }).compile(),
    ).rejects.toThrow(/FEATURE_FLAG_STORAGE/);
  });

  it('fails startup on invalid options, saying what to change', async () => {
    const compile = Test.createTestingModule({
      imports: [FeatureFlagsModule.forRoot({ backend: 'redis' })],
    }).compile();
    await expect(compile).rejects.toThrow(GatekeeperConfigError);
    await expect(
      Test.createTestingModule({
        imports: [FeatureFlagsModule.forRoot({ storage: {} as FeatureFlagStorage })],
      }).compile(),
    ).rejects.toThrow(/storage option must implement FeatureFlagStorage; missing: getFlag/);
  });
});
