import { CurrentApiKey, RequireScopes } from '@gatekeeper/api-auth';
import {
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Scopes } from '../gatekeeper/demo.constants';
import { ApiKeyProtected } from '../openapi/api-key-protected.decorator';
import { CreateOrderDto } from './dto/create-order.dto';
import { Order } from './order.model';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiKeyProtected()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @RequireScopes(Scopes.ordersRead)
  @ApiOperation({ summary: "The caller's orders", description: 'Scope `orders:read`.' })
  @ApiOkResponse({ type: [Order] })
  list(@CurrentApiKey('ownerId') ownerId: string): Order[] {
    return this.orders.listFor(ownerId);
  }

  @Get(':id')
  @RequireScopes(Scopes.ordersRead)
  @ApiOperation({ summary: 'One of the caller’s orders', description: 'Scope `orders:read`.' })
  @ApiOkResponse({ type: Order })
  @ApiNotFoundResponse({ description: 'No such order for this owner' })
  get(
    @CurrentApiKey('ownerId') ownerId: string,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Order {
    const order = this.orders.findFor(ownerId, id);
    if (!order) throw new NotFoundException(`no order ${id}`);
    return order;
  }

  @Post()
  @RequireScopes(Scopes.ordersWrite)
  @ApiOperation({ summary: 'Place an order', description: 'Scope `orders:write`.' })
  @ApiCreatedResponse({ type: Order })
  @ApiBadRequestResponse({ description: 'Invalid body or unknown SKU; nothing is stored' })
  create(@CurrentApiKey('ownerId') ownerId: string, @Body() body: CreateOrderDto): Order {
    return this.orders.place(ownerId, body, 'classic');
  }
}
