import { Module } from '@nestjs/common';
import { KeyListingModule } from '../../key-listing/key-listing.module';
import { KeysAdminController } from './keys-admin.controller';

@Module({ imports: [KeyListingModule], controllers: [KeysAdminController] })
export class KeysAdminModule {}
