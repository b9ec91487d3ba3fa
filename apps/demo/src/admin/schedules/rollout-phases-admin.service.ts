import {
  InjectFeatureFlagStorage,
  RolloutPhaseAlreadyExistsError,
  type FeatureFlagStorage,
  type RolloutPhase,
} from '@gatekeeper/feature-flags';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { FlagsAdminService } from '../flags/flags-admin.service';
import type { CreateRolloutPhaseDto } from './dto/create-rollout-phase.dto';
import { dueAt } from './dto/schedule-time.dto';

/** A flag's rollout phases; the module's FlagScheduler applies them when due. */
@Injectable()
export class RolloutPhasesAdminService {
  constructor(
    @InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage,
    private readonly flags: FlagsAdminService,
  ) {}

  async list(key: string): Promise<RolloutPhase[]> {
    const flag = await this.flags.get(key);
    return this.storage.getRolloutPhases!(flag.id);
  }

  async create(key: string, input: CreateRolloutPhaseDto): Promise<RolloutPhase> {
    const flag = await this.flags.get(key);
    try {
      return await this.storage.createRolloutPhase!({
        flagId: flag.id,
        phaseNumber: input.phaseNumber,
        targetPercentage: input.targetPercentage,
        scheduledAt: dueAt(input),
      });
    } catch (error) {
      // The library's message names the flag by id; the client knows it by key.
      if (!(error instanceof RolloutPhaseAlreadyExistsError)) throw error;
      throw new ConflictException(`flag "${key}" has a rollout phase ${input.phaseNumber} already`);
    }
  }

  /** Cancels a pending phase; an executed one is history and stays. */
  async cancel(key: string, id: string): Promise<void> {
    const phase = (await this.list(key)).find((candidate) => candidate.id === id);
    if (!phase) throw notFound(key, id);
    if (phase.executed) {
      throw new ConflictException(
        `rollout phase ${phase.phaseNumber} was applied at ${phase.executedAt?.toISOString()}: ` +
          'it can no longer be cancelled',
      );
    }
    if (!(await this.storage.deleteRolloutPhase!(id))) throw notFound(key, id);
  }
}

function notFound(key: string, id: string): NotFoundException {
  return new NotFoundException(`flag "${key}" has no rollout phase "${id}"`);
}
