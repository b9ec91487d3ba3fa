import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';

export interface FeatureFlagsModuleExtras {
  /** Register the module globally so every module can inject the client and storage. */
  isGlobal: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableFeatureFlagsModule,
  MODULE_OPTIONS_TOKEN: FEATURE_FLAGS_MODULE_OPTIONS,
  OPTIONS_TYPE: FEATURE_FLAGS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: FEATURE_FLAGS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<FeatureFlagsModuleOptions>({ moduleName: 'FeatureFlags' })
  .setClassMethodName('forRoot')
  .setExtras<FeatureFlagsModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

export type FeatureFlagsModuleAsyncOptions = typeof FEATURE_FLAGS_ASYNC_OPTIONS_TYPE;
export type FeatureFlagsModuleForRootOptions = typeof FEATURE_FLAGS_OPTIONS_TYPE;
