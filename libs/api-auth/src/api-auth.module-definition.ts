import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ApiAuthModuleOptions } from './api-auth.options';

export interface ApiAuthModuleExtras {
  /** Register the module globally so every module can use the guard and service. Default `false`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ApiAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: API_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE: API_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: API_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ApiAuthModuleOptions>({ moduleName: 'ApiAuth' })
  .setClassMethodName('forRoot')
  .setExtras<ApiAuthModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** What `ApiAuthModule.forRoot()` accepts: the options plus `isGlobal`. */
export type ApiAuthModuleForRootOptions = typeof API_AUTH_OPTIONS_TYPE;
/** What `ApiAuthModule.forRootAsync()` accepts: `imports`, `inject`, `useFactory` / `useClass` / `useExisting`, `isGlobal`. */
export type ApiAuthModuleAsyncOptions = typeof API_AUTH_ASYNC_OPTIONS_TYPE;
