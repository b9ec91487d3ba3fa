import type { CreateEnvironmentInput } from '@gatekeeper/feature-flags';

/** An environment to create on first start; `parent` is another one's slug. */
export type ExampleEnvironment = Omit<CreateEnvironmentInput, 'parentId'> & { parent?: string };

/**
 * Environments the first start creates, parents first. The demo evaluates in `production` by
 * default (GATEKEEPER_ENVIRONMENT); `staging` inherits every setting it does not make itself.
 */
export const EXAMPLE_ENVIRONMENTS: ExampleEnvironment[] = [
  {
    slug: 'production',
    name: 'Production',
    description: 'Where the demo evaluates flags unless GATEKEEPER_ENVIRONMENT names another.',
  },
  {
    slug: 'staging',
    name: 'Staging',
    description: 'Inherits production; set a flag here to try it before production sees it.',
    parent: 'production',
  },
];
