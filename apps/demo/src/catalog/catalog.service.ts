import { Injectable } from '@nestjs/common';
import type { Product } from './product.model';

const PRODUCTS: readonly Product[] = [
  { sku: 'mug', name: 'Gatekeeper mug', priceCents: 1200, currency: 'EUR' },
  { sku: 'tshirt', name: 'Gatekeeper T-shirt', priceCents: 2500, currency: 'EUR' },
  { sku: 'sticker', name: 'Sticker pack', priceCents: 400, currency: 'EUR' },
  { sku: 'hoodie', name: 'Gatekeeper hoodie', priceCents: 5500, currency: 'EUR' },
];

/** A fixed catalog: the demo is about who may order, not about product management. */
@Injectable()
export class CatalogService {
  list(): Product[] {
    return PRODUCTS.map((product) => ({ ...product }));
  }

  find(sku: string): Product | undefined {
    const product = PRODUCTS.find((candidate) => candidate.sku === sku);
    return product && { ...product };
  }
}
