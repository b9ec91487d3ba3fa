import type { CreateFlagInput, FeatureFlagStorage, JsonValue } from '@gatekeeper/feature-flags';

/**
 * The kinds of flags the OpenFeature specification's gherkin suites evaluate
 * (specification/assets/gherkin/test-flags.json in open-feature/spec, same keys), written as
 * Gatekeeper flags: each value is a named variant (weight 0: a name, never a split), the flag's
 * `defaultVariant` is the value served when nothing targets, and a targeting condition is a rule
 * that serves a variant by name (`serveVariant`).
 */

const IMAGES = { showImages: true, title: 'Check out these pics!', imagesPerPage: 100 };

function named(
  key: string,
  flagType: CreateFlagInput['flagType'],
  values: Record<string, JsonValue>,
  defaultVariant: string,
  extra: Partial<CreateFlagInput> = {},
): CreateFlagInput {
  return {
    key,
    flagType,
    variants: Object.entries(values).map(([variant, value]) => ({
      key: variant,
      value,
      weight: 0,
    })),
    defaultVariant,
    ...extra,
  };
}

/** A rule serving the variant `zero` to one e-mail address, as the "targeted zero" flags do. */
const ZERO_FOR_BALLMER = {
  rules: [
    {
      name: 'ballmer',
      conditions: [{ attribute: 'email', operator: 'eq' as const, value: 'ballmer@macrosoft.com' }],
      serveVariant: 'zero',
    },
  ],
};

export const CONFORMANCE_FLAGS: CreateFlagInput[] = [
  named('boolean-flag', 'boolean', { on: true, off: false }, 'on'),
  named('string-flag', 'string', { greeting: 'hi', parting: 'bye' }, 'greeting'),
  named('integer-flag', 'number', { one: 1, ten: 10 }, 'ten'),
  named('float-flag', 'number', { tenth: 0.1, half: 0.5 }, 'half'),
  named('object-flag', 'json', { empty: {}, template: IMAGES }, 'template'),

  named('boolean-zero-flag', 'boolean', { zero: false, 'non-zero': true }, 'zero'),
  named('string-zero-flag', 'string', { zero: '', 'non-zero': 'str' }, 'zero'),
  named('integer-zero-flag', 'number', { zero: 0, 'non-zero': 1 }, 'zero'),
  named('float-zero-flag', 'number', { zero: 0.0, 'non-zero': 1.0 }, 'zero'),
  named('object-zero-flag', 'json', { zero: {}, 'non-zero': IMAGES }, 'zero'),

  named(
    'boolean-targeted-zero-flag',
    'boolean',
    { zero: false, 'non-zero': true },
    'zero',
    ZERO_FOR_BALLMER,
  ),
  named(
    'string-targeted-zero-flag',
    'string',
    { zero: '', 'non-zero': 'str' },
    'zero',
    ZERO_FOR_BALLMER,
  ),
  named(
    'integer-targeted-zero-flag',
    'number',
    { zero: 0, 'non-zero': 1 },
    'zero',
    ZERO_FOR_BALLMER,
  ),
  named(
    'float-targeted-zero-flag',
    'number',
    { zero: 0.0, 'non-zero': 1.0 },
    'zero',
    ZERO_FOR_BALLMER,
  ),
  named(
    'object-targeted-zero-flag',
    'json',
    { zero: {}, 'non-zero': IMAGES },
    'zero',
    ZERO_FOR_BALLMER,
  ),

  // Customers see the external value; anyone who says they are not a customer, the internal one.
  named('context-aware', 'string', { internal: 'INTERNAL', external: 'EXTERNAL' }, 'external', {
    rules: [
      {
        name: 'staff',
        conditions: [{ attribute: 'customer', operator: 'eq', value: false }],
        serveVariant: 'internal',
      },
    ],
  }),

  named('metadata-flag', 'boolean', { on: true, off: false }, 'on', {
    // `float` in one suite, `double` in another.
    metadata: { string: '1.0.2', integer: 2, boolean: true, float: 0.1, double: 0.1 },
  }),
  named('wrong-flag', 'string', { one: 'uno', two: 'dos' }, 'one'),

  named('boolean-disabled-flag', 'boolean', { on: true, off: false }, 'on', { status: 'inactive' }),
  named('string-disabled-flag', 'string', { greeting: 'hi', parting: 'bye' }, 'greeting', {
    status: 'inactive',
  }),
];

export async function seedConformanceFlags(storage: FeatureFlagStorage): Promise<void> {
  for (const flag of CONFORMANCE_FLAGS) await storage.createFlag(flag);
}
