import { ApiProperty } from '@nestjs/swagger';

export class OrderLine {
  @ApiProperty({ example: 'mug' })
  sku!: string;

  @ApiProperty({ example: 'Gatekeeper mug' })
  name!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;

  @ApiProperty({ example: 1200 })
  unitPriceCents!: number;
}

export class Order {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The API-key owner that placed the order', example: 'acme' })
  ownerId!: string;

  @ApiProperty({ type: [OrderLine] })
  items!: OrderLine[];

  @ApiProperty({ example: 2400 })
  totalCents!: number;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({
    enum: ['classic', 'new'],
    description: '`new` when placed through the flag-gated POST /checkout',
  })
  checkout!: 'classic' | 'new';

  @ApiProperty()
  createdAt!: Date;
}
