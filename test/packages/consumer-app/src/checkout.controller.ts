import { FeatureFlag } from '@gatekeeper/feature-flags';
import { Controller, Get } from '@nestjs/common';

@Controller('checkout')
export class CheckoutController {
  @Get()
  @FeatureFlag('new-checkout')
  checkout(): { checkout: string } {
    return { checkout: 'new' };
  }
}
