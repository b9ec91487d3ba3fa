import { NotFoundException } from '@nestjs/common';

/** The body of the default 404: the same words as any unknown route, so it reveals no flag names. */
export const FEATURE_FLAG_DISABLED_MESSAGE = 'Not Found';

/** Thrown by `FeatureFlagGuard` when a route's flag is off, unless `exception` says otherwise. */
export class FeatureFlagDisabledException extends NotFoundException {
  constructor(readonly flagKey: string) {
    super(FEATURE_FLAG_DISABLED_MESSAGE);
  }
}
