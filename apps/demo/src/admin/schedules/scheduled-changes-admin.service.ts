import {
  InjectFeatureFlagStorage,
  type FeatureFlagStorage,
  type ScheduledFlagChange,
} from '@gatekeeper/feature-flags';
import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { assertFits } from '../flags/flag-checks';
import { FlagsAdminService } from '../flags/flags-admin.service';
import type { CreateScheduledChangeDto } from './dto/create-scheduled-change.dto';
import { dueAt } from './dto/schedule-time.dto';

/** A flag's scheduled changes; the module's FlagScheduler applies them when due. */
@Injectable()
export class ScheduledChangesAdminService {
  constructor(
    @InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage,
    private readonly flags: FlagsAdminService,
  ) {}

  /** Pending and executed ones: the executed ones are the flag's change history. */
  async list(key: string): Promise<ScheduledFlagChange[]> {
    const flag = await this.flags.get(key);
    return this.storage.getScheduledChanges!(flag.id, false);
  }

  async create(
    key: string,
    input: CreateScheduledChangeDto,
    createdBy: string,
  ): Promise<ScheduledFlagChange> {
    const flag = await this.flags.get(key);
    const scheduledAt = dueAt(input);
    // Refused rather than stored unused: a value on an `enable` change is a misunderstanding.
    if (input.changeType !== 'update_value' && input.newValue !== undefined) {
      throw new BadRequestException(['newValue is only used by update_value changes']);
    }
    if (input.changeType !== 'update_rollout' && input.newRolloutPercentage !== undefined) {
      throw new BadRequestException([
        'newRolloutPercentage is only used by update_rollout changes',
      ]);
    }
    assertFits(flag.flagType, 'newValue', input.newValue);
    return this.storage.createScheduledChange!({
      flagId: flag.id,
      changeType: input.changeType,
      scheduledAt,
      newValue: input.newValue ?? null,
      newRolloutPercentage: input.newRolloutPercentage ?? null,
      createdBy,
    });
  }

  /** Cancels a pending change; an executed one is history and stays. */
  async cancel(key: string, id: string): Promise<void> {
    const change = (await this.list(key)).find((candidate) => candidate.id === id);
    if (!change) throw notFound(key, id);
    if (change.executed) {
      throw new ConflictException(
        `scheduled change ${id} was applied at ${change.executedAt?.toISOString()}: ` +
          'it can no longer be cancelled',
      );
    }
    if (!(await this.storage.deleteScheduledChange!(id))) throw notFound(key, id);
  }
}

function notFound(key: string, id: string): NotFoundException {
  return new NotFoundException(`flag "${key}" has no scheduled change "${id}"`);
}
