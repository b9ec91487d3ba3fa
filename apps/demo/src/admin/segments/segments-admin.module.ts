import { Module } from '@nestjs/common';
import { SegmentsAdminController } from './segments-admin.controller';
import { SegmentsAdminService } from './segments-admin.service';

@Module({
  controllers: [SegmentsAdminController],
  providers: [SegmentsAdminService],
})
export class SegmentsAdminModule {}
