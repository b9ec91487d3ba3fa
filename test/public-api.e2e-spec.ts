import { join } from 'node:path';
import * as ts from 'typescript';
import * as apiAuth from '@gatekeeper/api-auth';
import * as featureFlags from '@gatekeeper/feature-flags';

/**
 * The public API of both packages, frozen: adding, renaming or removing an export is a decision
 * (and a CHANGELOG entry), never an accident. Types included, read with the compiler.
 */
const FEATURE_FLAGS = [
  'AddFeatureFlagEnvironmentsAndSchedules1796342400000',
  'AddFeatureFlagNamedValues1796169600000',
  'AddFeatureFlagSegments1796256000000',
  'AddFeatureFlagVersion1796083200000',
  'CONDITION_OPERATORS',
  'Clock',
  'ConditionOperator',
  'ContextResolver',
  'CreateDatabaseFeatureFlagStorageOptions',
  'CreateEnvironmentFlagInput',
  'CreateEnvironmentInput',
  'CreateFeatureFlagTables1767225600000',
  'CreateFlagInput',
  'CreateOverrideInput',
  'CreateRedisFeatureFlagStorageOptions',
  'CreateRolloutPhaseInput',
  'CreateRuleInput',
  'CreateScheduledChangeInput',
  'CreateSegmentInput',
  'CreateTimeScheduleInput',
  'CreateVariantInput',
  'DEFAULT_FEATURE_FLAGS_HEALTH_KEY',
  'DEFAULT_FEATURE_FLAGS_REDIS_PREFIX',
  'DEFAULT_FEATURE_FLAGS_TABLE_PREFIX',
  'DEFAULT_LOCAL_CACHE_MAX_ENTRIES',
  'DEFAULT_MODIFY_FLAG_RETRIES',
  'DEFAULT_SCHEDULER_INTERVAL',
  'DatabaseConnectionOptions',
  'DatabaseFeatureFlagStorage',
  'DatabaseFeatureFlagStorageOptions',
  'Environment',
  'EnvironmentAlreadyExistsError',
  'EnvironmentFlag',
  'EnvironmentFlagAlreadyExistsError',
  'EnvironmentFlagNotFoundError',
  'EnvironmentNotFoundError',
  'ErrorCode',
  'EvaluationContext',
  'EvaluationDetails',
  'EvaluationReason',
  'FEATURE_FLAGS_CLOCK',
  'FEATURE_FLAGS_MODULE_OPTIONS',
  'FEATURE_FLAG_DISABLED_MESSAGE',
  'FEATURE_FLAG_METADATA',
  'FEATURE_FLAG_STORAGE',
  'FLAG_LIMITS',
  'FLAG_STATUSES',
  'FLAG_TYPES',
  'FeatureFlag',
  'FeatureFlagClient',
  'FeatureFlagClientOptions',
  'FeatureFlagDetails',
  'FeatureFlagDisabledException',
  'FeatureFlagEntities',
  'FeatureFlagGuard',
  'FeatureFlagOptions',
  'FeatureFlagParamPipe',
  'FeatureFlagParamRequest',
  'FeatureFlagRequirement',
  'FeatureFlagStorage',
  'FeatureFlagStorageError',
  'FeatureFlagValue',
  'FeatureFlagsBackend',
  'FeatureFlagsHealthCheckOptions',
  'FeatureFlagsHealthIndicator',
  'FeatureFlagsModule',
  'FeatureFlagsModuleAsyncOptions',
  'FeatureFlagsModuleExtras',
  'FeatureFlagsModuleForRootOptions',
  'FeatureFlagsModuleOptions',
  'FlagAlreadyExistsError',
  'FlagChange',
  'FlagCondition',
  'FlagNotFoundError',
  'FlagOverride',
  'FlagRule',
  'FlagRuleNotFoundError',
  'FlagScheduler',
  'FlagSchedulerOptions',
  'FlagStatus',
  'FlagType',
  'FlagVariant',
  'FlagVariantNotFoundError',
  'FlagVersionConflictError',
  'FlagsChanged',
  'FlagsChangedListener',
  'GatekeeperConfigError',
  'GatekeeperProvider',
  'GatekeeperTracingHook',
  'InjectFeatureFlagStorage',
  'InvalidFlagError',
  'InvalidationBus',
  'JsonValue',
  'LocalCacheFeatureFlagStorage',
  'LocalCacheFeatureFlagStorageOptions',
  'LocalCacheOptions',
  'MemoryFeatureFlagStorage',
  'MissingDriverError',
  'ModifyFlagOptions',
  'OVERRIDE_ENTITY_TYPES',
  'OverrideEntityType',
  'RedisConnectionOptions',
  'RedisFeatureFlagStorage',
  'RedisFeatureFlagStorageOptions',
  'ReferenceNotFoundError',
  'RolloutPhase',
  'RolloutPhaseAlreadyExistsError',
  'SCHEDULED_CHANGE_TYPES',
  'ScheduledChangeNotFoundError',
  'ScheduledChangeType',
  'ScheduledFlagChange',
  'Segment',
  'SegmentAlreadyExistsError',
  'SegmentNotFoundError',
  'SupportedDatabaseType',
  'TIME_SCHEDULE_RECURRENCES',
  'TimeSchedule',
  'TimeScheduleRecurrence',
  'UpdateEnvironmentFlagInput',
  'UpdateEnvironmentInput',
  'UpdateFlagInput',
  'UpdateScheduledChangeInput',
  'UpdateSegmentInput',
  'addRule',
  'addVariant',
  'buildEnvironment',
  'buildEnvironmentFlag',
  'buildFlag',
  'buildOverride',
  'buildRolloutPhase',
  'buildScheduledChange',
  'buildSegment',
  'buildTimeSchedule',
  'defaultContextResolver',
  'featureFlagEntities',
  'featureFlagMigrations',
  'isInRollout',
  'isOverrideExpired',
  'modifyFlag',
  'murmur3',
  'removeRule',
  'removeVariant',
  'rolloutBucket',
  'selectVariant',
  'toGatekeeperContext',
  'toOpenFeatureContext',
  'updateRule',
  'updateVariant',
];

const API_AUTH = [
  'API_AUTH_CLOCK',
  'API_AUTH_MODULE_OPTIONS',
  'API_KEY_REGEX',
  'API_KEY_REQUEST_PROPERTY',
  'API_KEY_STORAGE',
  'AUTH_UNAVAILABLE_MESSAGE',
  'AddApiKeyVersion1796083200000',
  'ApiAuthBackend',
  'ApiAuthClock',
  'ApiAuthErrorBody',
  'ApiAuthErrorCode',
  'ApiAuthHealthCheckOptions',
  'ApiAuthHealthIndicator',
  'ApiAuthModule',
  'ApiAuthModuleAsyncOptions',
  'ApiAuthModuleExtras',
  'ApiAuthModuleForRootOptions',
  'ApiAuthModuleOptions',
  'ApiAuthUnavailableException',
  'ApiKey',
  'ApiKeyAlreadyExistsError',
  'ApiKeyEntities',
  'ApiKeyGuard',
  'ApiKeyNotFoundError',
  'ApiKeyRejectionCode',
  'ApiKeyReplicationError',
  'ApiKeyRequest',
  'ApiKeyRouteRequirements',
  'ApiKeyService',
  'ApiKeyStorage',
  'ApiKeyStorageError',
  'ApiKeyUnauthorizedCode',
  'ApiKeyUnauthorizedException',
  'ApiKeyVerificationError',
  'ApiKeyVersionConflictError',
  'CreateApiKeyInput',
  'CreateApiKeysTable1767225600000',
  'CreateDatabaseApiKeyStorageOptions',
  'CreatedApiKey',
  'CurrentApiKey',
  'DEFAULT_API_AUTH_HEALTH_KEY',
  'DEFAULT_API_AUTH_REDIS_PREFIX',
  'DEFAULT_API_AUTH_TABLE_PREFIX',
  'DEFAULT_API_KEY_HEADER',
  'DEFAULT_API_KEY_PREFIX',
  'DEFAULT_LAST_USED_INTERVAL_SECONDS',
  'DEFAULT_LOCAL_CACHE_MAX_ENTRIES',
  'DatabaseApiKeyStorage',
  'DatabaseConnectionOptions',
  'DatabaseApiKeyStorageOptions',
  'EXPIRED_API_KEY_MESSAGE',
  'ExpiredApiKeyError',
  'GatekeeperConfigError',
  'INSUFFICIENT_SCOPE_MESSAGE',
  'INVALID_API_KEY_MESSAGE',
  'InjectApiKeyStorage',
  'InsufficientScopeException',
  'InvalidApiKeyError',
  'InvalidApiKeyInputError',
  'InvalidationBus',
  'LocalCacheApiKeyStorage',
  'LocalCacheApiKeyStorageOptions',
  'LocalCacheOptions',
  'MISSING_API_KEY_MESSAGE',
  'MalformedApiKeyError',
  'MemoryApiKeyStorage',
  'MissingDriverError',
  'PUBLIC_METADATA',
  'Public',
  'REQUIRE_ANY_SCOPE_METADATA',
  'REQUIRE_SCOPES_METADATA',
  'REVOKED_API_KEY_MESSAGE',
  'RedisApiKeyStorage',
  'RedisApiKeyStorageOptions',
  'RedisCacheApiKeyStorage',
  'RedisCacheApiKeyStorageOptions',
  'RedisCacheOptions',
  'RedisConnectionOptions',
  'RequireAnyScope',
  'RequireScopes',
  'RevokedApiKeyError',
  'RotateApiKeyOptions',
  'RotatedApiKey',
  'SupportedDatabaseType',
  'UnknownApiKeyError',
  'apiKeyEntities',
  'apiKeyMigrations',
  'apiKeyRegex',
  'generateApiKey',
  'grantsAllScopes',
  'grantsAnyScope',
  'grantsScope',
  'hashApiKey',
  'isWellFormedApiKey',
];

/** Exported by both under one name because they are one thing: the same declaration in libs/common. */
const SHARED = [
  'DEFAULT_LOCAL_CACHE_MAX_ENTRIES',
  'DatabaseConnectionOptions',
  'GatekeeperConfigError',
  'InvalidationBus',
  'LocalCacheOptions',
  'MissingDriverError',
  'RedisConnectionOptions',
  'SupportedDatabaseType',
];

const ROOT = join(__dirname, '..');
const INDEX = {
  featureFlags: join(ROOT, 'libs/feature-flags/src/index.ts'),
  apiAuth: join(ROOT, 'libs/api-auth/src/index.ts'),
};

interface Export {
  /** Where the exported symbol is declared (file and position). */
  declarations: string[];
  /** A class, function or constant, as opposed to a type only. */
  isValue: boolean;
}

/** Each index module's exports (values and types), resolved to where they are declared. */
function exportsOf(): Record<keyof typeof INDEX, Map<string, Export>> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram(Object.values(INDEX), { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const read = (file: string) => {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    return new Map(
      checker.getExportsOfModule(moduleSymbol).map((symbol) => {
        const target =
          symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const declarations = (target.declarations ?? []).map(
          (declaration) => `${declaration.getSourceFile().fileName}:${declaration.pos}`,
        );
        const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
        return [symbol.name, { declarations, isValue }];
      }),
    );
  };
  return { featureFlags: read(INDEX.featureFlags), apiAuth: read(INDEX.apiAuth) };
}

describe('the public API of @gatekeeper/feature-flags and @gatekeeper/api-auth', () => {
  let exported: ReturnType<typeof exportsOf>;

  beforeAll(() => {
    exported = exportsOf();
  }, 60_000);

  it('is exactly the frozen list of names, types included', () => {
    expect([...exported.featureFlags.keys()].sort()).toEqual([...FEATURE_FLAGS].sort());
    expect([...exported.apiAuth.keys()].sort()).toEqual([...API_AUTH].sort());
  });

  it('shares a name between the two packages only for the same thing, from libs/common', () => {
    const both = [...exported.featureFlags.keys()].filter((name) => exported.apiAuth.has(name));
    expect(both.sort()).toEqual(SHARED);
    for (const name of both) {
      const { declarations } = exported.featureFlags.get(name)!;
      expect(declarations.length).toBeGreaterThan(0);
      expect(exported.apiAuth.get(name)!.declarations).toEqual(declarations);
      for (const declaration of declarations) expect(declaration).toContain('/libs/common/src/');
    }
  });

  it('can be imported side by side: every shared value is the same object', () => {
    const flags = featureFlags as Record<string, unknown>;
    const auth = apiAuth as Record<string, unknown>;
    const values = Object.keys(flags).filter((name) => name in auth);
    expect(values.sort()).toEqual(
      ['DEFAULT_LOCAL_CACHE_MAX_ENTRIES', 'GatekeeperConfigError', 'MissingDriverError'].sort(),
    );
    for (const name of values) expect(flags[name]).toBe(auth[name]);
    const merged = { ...featureFlags, ...apiAuth };
    expect(Object.keys(merged)).toHaveLength(
      Object.keys(featureFlags).length + Object.keys(apiAuth).length - values.length,
    );
  });

  it('exports at run time exactly the names that are values (classes, functions, constants)', () => {
    const values = (exports: Map<string, Export>) =>
      [...exports].filter(([, { isValue }]) => isValue).map(([name]) => name);
    expect(Object.keys(featureFlags).sort()).toEqual(values(exported.featureFlags).sort());
    expect(Object.keys(apiAuth).sort()).toEqual(values(exported.apiAuth).sort());
  });
});
