import { OVERRIDE_ENTITY_TYPES, type OverrideEntityType } from '../models/feature-flag.model';

/** One entity id's cached lookups for one flag: a slot per type, in `OVERRIDE_ENTITY_TYPES` order. */
export type OverrideSlots<E> = Array<E | undefined>;

/**
 * The local cache's override lookups by flag id → entity id → entity type, so that evaluation
 * finds an entry without building a key string, and the user and targeting-key lookups of one id
 * share their reads. It holds the LRU's own entries; the LRU decides what stays.
 */
export class OverrideIndex<E> {
  private readonly byFlag = new Map<string, Map<string, OverrideSlots<E>>>();

  /** The lookups cached for a flag, by entity id; slot `i` is `OVERRIDE_ENTITY_TYPES[i]`'s. */
  entitiesOf(flagId: string): Map<string, OverrideSlots<E>> | undefined {
    return this.byFlag.get(flagId);
  }

  get(flagId: string, entityType: OverrideEntityType, entityId: string): E | undefined {
    return this.byFlag.get(flagId)?.get(entityId)?.[slotOf(entityType)];
  }

  set(flagId: string, entityType: OverrideEntityType, entityId: string, entry: E): void {
    let entities = this.byFlag.get(flagId);
    if (entities === undefined)
      this.byFlag.set(flagId, (entities = new Map<string, OverrideSlots<E>>()));
    let slots = entities.get(entityId);
    if (slots === undefined)
      entities.set(entityId, (slots = OVERRIDE_ENTITY_TYPES.map(() => undefined)));
    slots[slotOf(entityType)] = entry;
  }

  /** Forgets a lookup; when `entry` is given, only if the slot still holds that entry. */
  delete(flagId: string, entityType: OverrideEntityType, entityId: string, entry?: E): void {
    const entities = this.byFlag.get(flagId);
    const slots = entities?.get(entityId);
    const slot = slotOf(entityType);
    if (!entities || !slots || (entry !== undefined && slots[slot] !== entry)) return;
    slots[slot] = undefined;
    if (slots.some((held) => held !== undefined)) return;
    entities.delete(entityId);
    if (entities.size === 0) this.byFlag.delete(flagId);
  }

  /** Forgets every lookup of a flag and returns them, as (entity type, entity id) pairs. */
  deleteFlag(flagId: string): Array<[OverrideEntityType, string]> {
    const dropped: Array<[OverrideEntityType, string]> = [];
    for (const [entityId, slots] of this.byFlag.get(flagId) ?? []) {
      slots.forEach((held, slot) => {
        if (held !== undefined) dropped.push([OVERRIDE_ENTITY_TYPES[slot], entityId]);
      });
    }
    this.byFlag.delete(flagId);
    return dropped;
  }

  clear(): void {
    this.byFlag.clear();
  }
}

function slotOf(entityType: OverrideEntityType): number {
  return OVERRIDE_ENTITY_TYPES.indexOf(entityType);
}
