import { newId } from '@gatekeeper/common';
import { InvalidFlagError } from '../storage/storage.errors';
import type { CreateOverrideInput, FlagOverride } from './feature-flag.model';
import { copyDate, FieldCheck, FLAG_LIMITS } from './field-checks';

/** Normalises override input like `buildFlag` does for flags. */
export function buildOverride(input: CreateOverrideInput, now: Date = new Date()): FlagOverride {
  for (const field of ['flagId', 'entityType', 'entityId'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') {
      throw new InvalidFlagError(`an override needs a non-empty string ${field}`, field);
    }
  }
  const check: FieldCheck = new FieldCheck('override: ');
  check.text('flagId', input.flagId, FLAG_LIMITS.idLength);
  check.text('entityType', input.entityType, FLAG_LIMITS.entityTypeLength);
  check.text('entityId', input.entityId, FLAG_LIMITS.keyLength);
  if (input.id !== undefined) check.key('id', input.id, FLAG_LIMITS.idLength);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    check.fail('enabled', 'must be a boolean');
  }
  check.json('value', input.value, FLAG_LIMITS.valueBytes);
  if (input.expiresAt != null) check.date('expiresAt', input.expiresAt);
  const expiresAt = copyDate(input.expiresAt) ?? null;
  return {
    id: input.id ?? newId(),
    flagId: input.flagId,
    entityType: input.entityType,
    entityId: input.entityId,
    enabled: input.enabled ?? true,
    value: structuredClone(input.value ?? null),
    expiresAt,
    createdAt: copyDate(input.createdAt) ?? now,
    updatedAt: now,
  };
}

/** An override whose `expiresAt` has passed behaves as if it did not exist. */
export function isOverrideExpired(override: FlagOverride, now: Date = new Date()): boolean {
  return override.expiresAt !== null && override.expiresAt.getTime() <= now.getTime();
}
