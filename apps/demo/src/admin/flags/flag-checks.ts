import type { FlagType, JsonValue } from '@gatekeeper/feature-flags';
import { BadRequestException } from '@nestjs/common';

/*
 * Checks the DTOs cannot express, shared by every admin route that writes a flag's rules, variants
 * or values (the flag itself, its environment settings, its scheduled changes): a refused request
 * is a 400 naming the field, before anything is written.
 */

const VALUE_TYPES: Record<FlagType, (value: JsonValue) => boolean> = {
  boolean: (value) => typeof value === 'boolean',
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  json: () => true,
};

/** A value that the flag could never serve is a client error, not a silent evaluation default. */
export function assertFits(flagType: FlagType, field: string, value: JsonValue | undefined): void {
  if (value === undefined || value === null) return;
  if (!VALUE_TYPES[flagType](value)) {
    throw new BadRequestException([`${field} must be a ${flagType} value for a ${flagType} flag`]);
  }
}

export function assertUniqueRuleNames(rules: readonly { name: string }[]): void {
  const seen = new Set<string>();
  for (const [index, rule] of rules.entries()) {
    if (seen.has(rule.name)) {
      throw new BadRequestException([`rules.${index}.name "${rule.name}" is used twice`]);
    }
    seen.add(rule.name);
  }
}

export function assertVariantWeights(variants: readonly { weight: number }[] | undefined): void {
  const total = (variants ?? []).reduce((sum, variant) => sum + variant.weight, 0);
  if (total > 100) {
    throw new BadRequestException([`variants: weights add up to ${total}, at most 100 allowed`]);
  }
}
