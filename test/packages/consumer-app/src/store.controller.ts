import { Controller, Get, Param } from '@nestjs/common';
import {
  OpenFeatureClient,
  RequireFlagsEnabled,
  type Client,
  type EvaluationDetails,
} from '@openfeature/nestjs-sdk';

/** Code written against OpenFeature's NestJS SDK, reading Gatekeeper flags through its provider. */
@Controller('store')
export class StoreController {
  constructor(@OpenFeatureClient() private readonly flags: Client) {}

  @Get('checkout')
  @RequireFlagsEnabled({ flags: [{ flagKey: 'store-checkout' }] })
  checkout(): { checkout: string } {
    return { checkout: 'store' };
  }

  @Get('flags/:key')
  details(@Param('key') key: string): Promise<EvaluationDetails<boolean>> {
    return this.flags.getBooleanDetails(key, false);
  }
}
