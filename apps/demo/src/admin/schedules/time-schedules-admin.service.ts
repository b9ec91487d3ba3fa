import {
  InjectFeatureFlagStorage,
  type FeatureFlagStorage,
  type TimeSchedule,
} from '@gatekeeper/feature-flags';
import { Injectable, NotFoundException } from '@nestjs/common';
import { FlagsAdminService } from '../flags/flags-admin.service';
import type { CreateTimeScheduleDto } from './dto/create-time-schedule.dto';

/** A flag's time schedules: with any enabled, the flag is on only inside their windows. */
@Injectable()
export class TimeSchedulesAdminService {
  constructor(
    @InjectFeatureFlagStorage() private readonly storage: FeatureFlagStorage,
    private readonly flags: FlagsAdminService,
  ) {}

  async list(key: string): Promise<TimeSchedule[]> {
    const flag = await this.flags.get(key);
    return this.storage.getTimeSchedules!(flag.id);
  }

  async create(key: string, input: CreateTimeScheduleDto): Promise<TimeSchedule> {
    const flag = await this.flags.get(key);
    return this.storage.createTimeSchedule!({ ...input, flagId: flag.id });
  }

  async delete(key: string, id: string): Promise<void> {
    const schedule = (await this.list(key)).find((candidate) => candidate.id === id);
    if (!schedule || !(await this.storage.deleteTimeSchedule!(id))) {
      throw new NotFoundException(`flag "${key}" has no time schedule "${id}"`);
    }
  }
}
