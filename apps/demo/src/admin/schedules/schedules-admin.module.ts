import { Module } from '@nestjs/common';
import { FlagsAdminModule } from '../flags/flags-admin.module';
import { RolloutPhasesAdminController } from './rollout-phases-admin.controller';
import { RolloutPhasesAdminService } from './rollout-phases-admin.service';
import { ScheduledChangesAdminController } from './scheduled-changes-admin.controller';
import { ScheduledChangesAdminService } from './scheduled-changes-admin.service';
import { TimeSchedulesAdminController } from './time-schedules-admin.controller';
import { TimeSchedulesAdminService } from './time-schedules-admin.service';

/** What happens to a flag over time: one-off changes, phased rollouts, recurring windows. */
@Module({
  imports: [FlagsAdminModule],
  controllers: [
    ScheduledChangesAdminController,
    RolloutPhasesAdminController,
    TimeSchedulesAdminController,
  ],
  providers: [ScheduledChangesAdminService, RolloutPhasesAdminService, TimeSchedulesAdminService],
})
export class SchedulesAdminModule {}
