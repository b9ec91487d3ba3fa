import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type ArgumentMetadata,
  type PipeTransform,
} from '@nestjs/common';
import { describeError } from '@gatekeeper/common';
import { FeatureFlagClient } from './feature-flag.client';
import { FEATURE_FLAGS_MODULE_OPTIONS } from './feature-flags.module-definition';
import type { FeatureFlagsModuleOptions } from './feature-flags.options';
import { resolveRequestContext } from './feature-flags.request-context';
import { ErrorCode, EvaluationReason, type EvaluationDetails } from './models/evaluation.model';

/** The data `@FeatureFlagValue()` / `@FeatureFlagDetails()` pass to the pipe. */
export interface FeatureFlagParamRequest {
  key: string;
  defaultValue: boolean | string | number | object;
  details: boolean;
}

/** Evaluates the flag named by a flag parameter decorator for the current request. */
@Injectable()
export class FeatureFlagParamPipe implements PipeTransform<unknown, Promise<unknown>> {
  private readonly logger = new Logger(FeatureFlagParamPipe.name);

  constructor(
    protected readonly client: FeatureFlagClient,
    @Optional()
    @Inject(FEATURE_FLAGS_MODULE_OPTIONS)
    protected readonly options: FeatureFlagsModuleOptions = {},
  ) {}

  async transform(request: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { key, defaultValue, details } = metadata.data as unknown as FeatureFlagParamRequest;
    const result = await this.evaluate(request, key, defaultValue);
    return details ? result : result.value;
  }

  protected async evaluate(
    request: unknown,
    key: string,
    defaultValue: FeatureFlagParamRequest['defaultValue'],
  ): Promise<EvaluationDetails<unknown>> {
    let context;
    try {
      context = await resolveRequestContext(request, this.options);
    } catch (error) {
      const message = `contextResolver failed: ${describeError(error)}`;
      this.logger.warn(message);
      return {
        value: defaultValue,
        flagKey: key,
        reason: EvaluationReason.ERROR,
        variant: null,
        errorCode: ErrorCode.INVALID_CONTEXT,
        errorMessage: message,
      };
    }
    switch (typeof defaultValue) {
      case 'boolean':
        // "Is it on", like the guard, so a handler and its @FeatureFlag() never disagree.
        return this.client.getEnabledDetails(key, defaultValue, context);
      case 'string':
        return this.client.getStringDetails(key, defaultValue, context);
      case 'number':
        return this.client.getNumberDetails(key, defaultValue, context);
      default:
        return this.client.getObjectDetails(key, defaultValue, context);
    }
  }
}
