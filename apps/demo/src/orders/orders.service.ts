import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import type { CreateOrderDto } from './dto/create-order.dto';
import type { Order, OrderLine } from './order.model';

/**
 * Orders live in this process's memory: the demo persists what the libraries manage (flags and
 * keys) and keeps the business data trivial.
 */
@Injectable()
export class OrdersService {
  private readonly orders = new Map<string, Order>();

  constructor(private readonly catalog: CatalogService) {}

  /** Checks every line before storing anything, so a bad line leaves no partial order behind. */
  place(ownerId: string, input: CreateOrderDto, checkout: Order['checkout']): Order {
    const items: OrderLine[] = input.items.map(({ sku, quantity }) => {
      const product = this.catalog.find(sku);
      if (!product) {
        throw new BadRequestException([`items: unknown SKU "${sku}" (see GET /catalog/products)`]);
      }
      return { sku, name: product.name, quantity, unitPriceCents: product.priceCents };
    });
    const order: Order = {
      id: randomUUID(),
      ownerId,
      items,
      totalCents: items.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
      currency: 'EUR',
      checkout,
      createdAt: new Date(),
    };
    this.orders.set(order.id, order);
    return structuredClone(order);
  }

  listFor(ownerId: string): Order[] {
    return [...this.orders.values()]
      .filter((order) => order.ownerId === ownerId)
      .map((order) => structuredClone(order));
  }

  /** Another owner's order is reported missing, not forbidden: ids do not leak across owners. */
  findFor(ownerId: string, id: string): Order | undefined {
    const order = this.orders.get(id);
    return order?.ownerId === ownerId ? structuredClone(order) : undefined;
  }
}
