import { Module } from '@nestjs/common';
import { FlagsAdminController } from './flags-admin.controller';
import { FlagsAdminService } from './flags-admin.service';

@Module({
  controllers: [FlagsAdminController],
  providers: [FlagsAdminService],
  // The routes of a flag's environments and schedules find their flag by key the same way.
  exports: [FlagsAdminService],
})
export class FlagsAdminModule {}
