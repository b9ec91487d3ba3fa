import { Module } from '@nestjs/common';
import { FlagsAdminController } from './flags-admin.controller';
import { FlagsAdminService } from './flags-admin.service';

@Module({
  controllers: [FlagsAdminController],
  providers: [FlagsAdminService],
})
export class FlagsAdminModule {}
