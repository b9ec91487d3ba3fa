// storefront.controller.ts
import { Controller, Get } from '@nestjs/common';
import {
  BooleanFeatureFlag,
  OpenFeatureClient,
  RequireFlagsEnabled,
  type Client,
  type EvaluationDetails,
} from '@openfeature/nestjs-sdk';
import { map, type Observable } from 'rxjs';

@Controller('store')
export class StorefrontController {
  constructor(@OpenFeatureClient() private readonly flags: Client) {}

  // 404 unless `new-checkout` is on for this request.
  @Get('checkout')
  @RequireFlagsEnabled({ flags: [{ flagKey: 'new-checkout' }] })
  checkout() {
    return { checkout: 'new' };
  }

  @Get('banner')
  banner(
    @BooleanFeatureFlag({ flagKey: 'holiday-banner', defaultValue: false })
    banner: Observable<EvaluationDetails<boolean>>,
  ) {
    return banner.pipe(map(({ value, variant, reason }) => ({ show: value, variant, reason })));
  }

  @Get('theme')
  async theme() {
    return { theme: await this.flags.getStringValue('theme', 'light') };
  }
}
