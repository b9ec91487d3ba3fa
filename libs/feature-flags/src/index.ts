// Module and configuration
export { FeatureFlagsModule } from './feature-flags.module';
export {
  FEATURE_FLAGS_MODULE_OPTIONS,
  type FeatureFlagsModuleAsyncOptions,
  type FeatureFlagsModuleExtras,
  type FeatureFlagsModuleForRootOptions,
} from './feature-flags.module-definition';
export {
  DEFAULT_SCHEDULER_INTERVAL,
  type ContextResolver,
  type FeatureFlagsBackend,
  type FeatureFlagsModuleOptions,
  type FlagSchedulerOptions,
} from './feature-flags.options';
export { FlagScheduler } from './flag-scheduler';
// Names from @gatekeeper/common are shared with @gatekeeper/api-auth: the same classes and
// types, so the two packages can be imported side by side (`instanceof` works across copies).
export type { DatabaseConnectionOptions, RedisConnectionOptions } from '@gatekeeper/common';
export { GatekeeperConfigError, MissingDriverError } from '@gatekeeper/common';
export {
  DEFAULT_FEATURE_FLAGS_HEALTH_KEY,
  DEFAULT_FEATURE_FLAGS_REDIS_PREFIX,
  DEFAULT_FEATURE_FLAGS_TABLE_PREFIX,
  FEATURE_FLAG_METADATA,
  FEATURE_FLAG_STORAGE,
  FEATURE_FLAGS_CLOCK,
} from './feature-flags.constants';
export type { Clock } from '@gatekeeper/common';

// Evaluation
export { FeatureFlagClient, type FeatureFlagClientOptions } from './feature-flag.client';
// Bucketing, so that other services (litestar-flags, Unleash for ASCII ids) can agree on rollouts.
export { isInRollout, rolloutBucket, selectVariant } from './evaluation/bucketing';
export { murmur3 } from './evaluation/murmur3';

// `FeatureFlag` is both the data model (a type) and the route decorator (a value); TypeScript keeps
// the two apart, so `import { FeatureFlag }` serves either use.
import { FeatureFlag as FeatureFlagDecorator } from './feature-flag.decorator';
import type { FeatureFlag as FeatureFlagModel } from './models/feature-flag.model';
export {
  buildSegment,
  type CreateSegmentInput,
  type Segment,
  type UpdateSegmentInput,
} from './models/segment.model';
export {
  buildEnvironment,
  buildEnvironmentFlag,
  type CreateEnvironmentFlagInput,
  type CreateEnvironmentInput,
  type Environment,
  type EnvironmentFlag,
  type UpdateEnvironmentFlagInput,
  type UpdateEnvironmentInput,
} from './models/environment.model';
export {
  buildRolloutPhase,
  buildScheduledChange,
  SCHEDULED_CHANGE_TYPES,
  type CreateRolloutPhaseInput,
  type CreateScheduledChangeInput,
  type RolloutPhase,
  type ScheduledChangeType,
  type ScheduledFlagChange,
  type UpdateScheduledChangeInput,
} from './models/scheduled-change.model';
export {
  buildTimeSchedule,
  TIME_SCHEDULE_RECURRENCES,
  type CreateTimeScheduleInput,
  type TimeSchedule,
  type TimeScheduleRecurrence,
} from './models/time-schedule.model';
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
  FLAG_LIMITS,
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
  type UpdateFlagInput,
} from './models/feature-flag.model';

// Storage
export type { FeatureFlagStorage } from './storage/feature-flag-storage.interface';
export { MemoryFeatureFlagStorage } from './storage/memory.storage';
export {
  FeatureFlagStorageError,
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagRuleNotFoundError,
  FlagVariantNotFoundError,
  FlagVersionConflictError,
  InvalidFlagError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
  EnvironmentAlreadyExistsError,
  EnvironmentNotFoundError,
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  ScheduledChangeNotFoundError,
  RolloutPhaseAlreadyExistsError,
  ReferenceNotFoundError,
} from './storage/storage.errors';
// Read-change-write with optimistic concurrency, retried on conflict
export {
  addRule,
  addVariant,
  DEFAULT_MODIFY_FLAG_RETRIES,
  modifyFlag,
  removeRule,
  removeVariant,
  updateRule,
  updateVariant,
  type FlagChange,
  type ModifyFlagOptions,
} from './storage/flag-edits';

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
  type FeatureFlagsHealthCheckOptions,
} from './feature-flags.health';

// Storage backends (typeorm and ioredis are optional peers, loaded only when these are used)
export type { SupportedDatabaseType } from '@gatekeeper/common';
export { DatabaseFeatureFlagStorage } from './storage/database/database.storage';
export type {
  CreateDatabaseFeatureFlagStorageOptions,
  DatabaseFeatureFlagStorageOptions,
} from './storage/database/database.options';
export {
  featureFlagEntities,
  type FeatureFlagEntities,
} from './storage/database/feature-flag.entities';
export {
  CreateFeatureFlagTables1767225600000,
  featureFlagMigrations,
} from './storage/database/migrations/create-feature-flag-tables.migration';
export { AddFeatureFlagEnvironmentsAndSchedules1796342400000 } from './storage/database/migrations/add-feature-flag-environments-schedules.migration';
export { AddFeatureFlagNamedValues1796169600000 } from './storage/database/migrations/add-feature-flag-named-values.migration';
export { AddFeatureFlagSegments1796256000000 } from './storage/database/migrations/add-feature-flag-segments.migration';
export { AddFeatureFlagVersion1796083200000 } from './storage/database/migrations/add-feature-flag-version.migration';
export {
  RedisFeatureFlagStorage,
  type CreateRedisFeatureFlagStorageOptions,
  type RedisFeatureFlagStorageOptions,
} from './storage/redis.storage';

// In-process cache (the `localCache` option)
export type { InvalidationBus, LocalCacheOptions } from '@gatekeeper/common';
export { DEFAULT_LOCAL_CACHE_MAX_ENTRIES } from '@gatekeeper/common';
export {
  LocalCacheFeatureFlagStorage,
  type LocalCacheFeatureFlagStorageOptions,
} from './storage/local-cache.storage';
export type { FlagsChanged, FlagsChangedListener } from './storage/flag-changes';

// OpenFeature (@openfeature/server-sdk is an optional peer: these load without it)
export { GatekeeperProvider } from './openfeature/gatekeeper.provider';
export { toGatekeeperContext, toOpenFeatureContext } from './openfeature/openfeature.mapping';

// Traces (@opentelemetry/api is an optional peer, loaded when `tracing: true` or this hook is built)
export { GatekeeperTracingHook } from './openfeature/gatekeeper-tracing.hook';
