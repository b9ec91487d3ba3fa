import { Module } from '@nestjs/common';
import { KeysAdminController } from './keys-admin.controller';

@Module({ controllers: [KeysAdminController] })
export class KeysAdminModule {}
