import type { CreateFlagInput } from '@gatekeeper/feature-flags';
import { CATALOG_BANNER_FLAG, NEW_CHECKOUT_FLAG } from '../gatekeeper/demo.constants';

/** Flags the first start creates, so the tour has something to flip. */
export const EXAMPLE_FLAGS: CreateFlagInput[] = [
  {
    key: NEW_CHECKOUT_FLAG,
    name: 'New checkout',
    description:
      'One-step checkout (POST /checkout) for a share of API-key owners, by owner id. ' +
      'Raise rules/rollout to widen it, or override it per owner.',
    tags: ['checkout'],
    defaultEnabled: false,
    rules: [{ name: 'rollout', rolloutPercentage: 20 }],
  },
  {
    key: CATALOG_BANNER_FLAG,
    name: 'Catalog banner',
    description: 'The banner GET /catalog/products shows.',
    flagType: 'string',
    defaultValue: 'Free shipping on orders over 50 EUR',
    tags: ['catalog'],
  },
];
