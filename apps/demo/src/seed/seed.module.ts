import { Module } from '@nestjs/common';
import { CONSOLE_OUTPUT, stdoutOutput } from './console-output';
import { SeedService } from './seed.service';

@Module({
  providers: [SeedService, { provide: CONSOLE_OUTPUT, useValue: stdoutOutput }],
})
export class SeedModule {}
