import { CurrentApiKey, RequireScopes } from '@gatekeeper/api-auth';
import { FeatureFlag } from '@gatekeeper/feature-flags';
import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { NEW_CHECKOUT_FLAG, Scopes } from '../gatekeeper/demo.constants';
import { ApiKeyProtected } from '../openapi/api-key-protected.decorator';
import { CreateOrderDto } from './dto/create-order.dto';
import { Order } from './order.model';
import { OrdersService } from './orders.service';

/**
 * Guard order matters: `ApiKeyGuard` sits on the controller, so it authenticates the request
 * before the handler's `@FeatureFlag()` guard evaluates the flag for the key's owner.
 */
@ApiTags('orders')
@ApiKeyProtected()
@Controller('checkout')
export class CheckoutController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @RequireScopes(Scopes.ordersWrite)
  @FeatureFlag(NEW_CHECKOUT_FLAG)
  @ApiOperation({
    summary: 'One-step checkout (feature flag `new_checkout`)',
    description:
      'Scope `orders:write`. **Behind the feature flag `new_checkout`:** answers 404, as if the ' +
      'route did not exist, unless the flag is on for the API-key owner (percentage rollout by ' +
      'owner id, or an override for the owner).',
  })
  @ApiCreatedResponse({ type: Order })
  @ApiBadRequestResponse({ description: 'Invalid body or unknown SKU; nothing is stored' })
  @ApiNotFoundResponse({ description: 'The `new_checkout` flag is off for this owner' })
  checkout(@CurrentApiKey('ownerId') ownerId: string, @Body() body: CreateOrderDto): Order {
    return this.orders.place(ownerId, body, 'new');
  }
}
