import { ApiProperty } from '@nestjs/swagger';

export class Product {
  @ApiProperty({ example: 'mug' })
  sku!: string;

  @ApiProperty({ example: 'Gatekeeper mug' })
  name!: string;

  @ApiProperty({ description: 'Price in cents', example: 1200 })
  priceCents!: number;

  @ApiProperty({ example: 'EUR' })
  currency!: string;
}

export class CatalogPage {
  @ApiProperty({
    description: 'The value of the `catalog_banner` string flag (empty when the flag is missing)',
    example: 'Free shipping on orders over 50 EUR',
  })
  banner!: string;

  @ApiProperty({ type: [Product] })
  products!: Product[];
}
