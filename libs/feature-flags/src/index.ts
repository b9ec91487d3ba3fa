// Module and configuration
export { FeatureFlagsModule } from './feature-flags.module';
export {
  FEATURE_FLAGS_MODULE_OPTIONS,
  type FeatureFlagsModuleAsyncOptions,
  type FeatureFlagsModuleExtras,
  type FeatureFlagsModuleForRootOptions,
} from './feature-flags.module-definition';
export type {
  ContextResolver,
  FeatureFlagsBackend,
  FeatureFlagsModuleOptions,
} from './feature-flags.options';
export {
  DEFAULT_HEALTH_KEY,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_TABLE_PREFIX,
  FEATURE_FLAG_METADATA,
  FEATURE_FLAG_STORAGE,
} from './feature-flags.constants';

// Evaluation
export { FeatureFlagClient, type FeatureFlagClientOptions } from './feature-flag.client';
export {
  evaluateFlag,
  getContextAttribute,
  overrideLookups,
  type FlagEvaluation,
} from './evaluation/evaluation.engine';
export { isInRollout, rolloutBucket, selectVariant, variantBucket } from './evaluation/bucketing';
export { murmur3 } from './evaluation/murmur3';
export { evaluateOperator } from './evaluation/operators';

// `FeatureFlag` is both the data model (a type) and the route decorator (a value); TypeScript keeps
// the two apart, so `import { FeatureFlag }` serves either use.
import { FeatureFlag as FeatureFlagDecorator } from './feature-flag.decorator';
import type { FeatureFlag as FeatureFlagModel } from './models/feature-flag.model';
export const FeatureFlag = FeatureFlagDecorator;
export type FeatureFlag = FeatureFlagModel;

// Models
export {
  ErrorCode,
  EvaluationReason,
  type EvaluationContext,
  type EvaluationDetails,
} from './models/evaluation.model';
export {
  buildFlag,
  buildOverride,
  CONDITION_OPERATORS,
  FLAG_STATUSES,
  FLAG_TYPES,
  isOverrideExpired,
  OVERRIDE_ENTITY_TYPES,
  type ConditionOperator,
  type CreateFlagInput,
  type CreateOverrideInput,
  type CreateRuleInput,
  type CreateVariantInput,
  type FlagCondition,
  type FlagOverride,
  type FlagRule,
  type FlagStatus,
  type FlagType,
  type FlagVariant,
  type JsonValue,
  type OverrideEntityType,
} from './models/feature-flag.model';

// Storage
export type {
  FeatureFlagStorage,
  SynchronousFlagLookup,
} from './storage/feature-flag-storage.interface';
export { MemoryFeatureFlagStorage } from './storage/memory.storage';
export {
  FeatureFlagStorageError,
  FlagAlreadyExistsError,
  FlagNotFoundError,
  InvalidFlagError,
} from './storage/storage.errors';

// HTTP
export {
  FeatureFlagDetails,
  FeatureFlagValue,
  InjectFeatureFlagStorage,
  type FeatureFlagOptions,
  type FeatureFlagRequirement,
} from './feature-flag.decorator';
export { FeatureFlagGuard } from './feature-flag.guard';
export { FeatureFlagParamPipe, type FeatureFlagParamRequest } from './feature-flag-param.pipe';
export {
  FEATURE_FLAG_DISABLED_MESSAGE,
  FeatureFlagDisabledException,
} from './feature-flag.exceptions';
export { defaultContextResolver } from './feature-flags.request-context';

// Health (needs @nestjs/terminus)
export {
  FeatureFlagsHealthIndicator,
  type FeatureFlagsHealthOptions,
} from './feature-flags.health';

// Storage backends (typeorm and ioredis are optional peers, loaded only when these are used)
export {
  DatabaseFeatureFlagStorage,
  type DatabaseFeatureFlagStorageDataSourceOptions,
  type DatabaseFeatureFlagStorageOptions,
} from './storage/database/database.storage';
export type { SupportedDatabaseType } from './storage/database/database.dialect';
export {
  featureFlagEntities,
  type FeatureFlagEntities,
  type FlagRow,
  type OverrideRow,
  type RuleRow,
  type VariantRow,
} from './storage/database/feature-flag.entities';
export {
  CreateFeatureFlagTables1767225600000,
  featureFlagMigrations,
  type FeatureFlagMigrationClass,
} from './storage/database/migrations/create-feature-flag-tables.migration';
export {
  RedisFeatureFlagStorage,
  type RedisFeatureFlagStorageOptions,
} from './storage/redis.storage';

// In-process cache (the `cache` option)
export {
  CachedFeatureFlagStorage,
  DEFAULT_CACHE_MAX_ENTRIES,
  type CachedFeatureFlagStorageOptions,
  type CachedRead,
  type CacheFreshness,
  type FeatureFlagCacheOptions,
  type FeatureFlagCacheReader,
} from './storage/cached.storage';
