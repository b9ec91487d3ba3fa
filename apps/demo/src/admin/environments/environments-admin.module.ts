import { Module } from '@nestjs/common';
import { FlagsAdminModule } from '../flags/flags-admin.module';
import { EnvironmentFlagsAdminController } from './environment-flags-admin.controller';
import { EnvironmentFlagsAdminService } from './environment-flags-admin.service';
import { EnvironmentsAdminController } from './environments-admin.controller';
import { EnvironmentsAdminService } from './environments-admin.service';

@Module({
  imports: [FlagsAdminModule],
  controllers: [EnvironmentsAdminController, EnvironmentFlagsAdminController],
  providers: [EnvironmentsAdminService, EnvironmentFlagsAdminService],
})
export class EnvironmentsAdminModule {}
