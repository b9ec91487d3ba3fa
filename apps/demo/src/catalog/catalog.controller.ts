import { FeatureFlagValue } from '@gatekeeper/feature-flags';
import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CATALOG_BANNER_FLAG } from '../gatekeeper/demo.constants';
import { CatalogService } from './catalog.service';
import { CatalogPage, Product } from './product.model';

/** Public: no API key needed. */
@ApiTags('catalog')
@Controller('catalog')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('products')
  @ApiOperation({ summary: 'List products (public)' })
  @ApiOkResponse({ type: CatalogPage })
  list(@FeatureFlagValue(CATALOG_BANNER_FLAG, '') banner: string): CatalogPage {
    return { banner, products: this.catalog.list() };
  }

  @Get('products/:sku')
  @ApiOperation({ summary: 'One product (public)' })
  @ApiOkResponse({ type: Product })
  @ApiNotFoundResponse({ description: 'No product with this SKU' })
  get(@Param('sku') sku: string): Product {
    const product = this.catalog.find(sku);
    if (!product) throw new NotFoundException(`no product with SKU "${sku}"`);
    return product;
  }
}
