import { pipelinedOn } from '@gatekeeper/common';
import {
  buildOverride,
  isOverrideExpired,
  isStorableOverrideRef,
  type CreateOverrideInput,
  type FlagOverride,
} from '../models/feature-flag.model';
import { RedisScheduleStorage } from './redis-schedules';
import { globEscape, parseOverride, serializeOverride } from './redis.codec';
import { scripts } from './redis.scripts';

/** Above this many keys, `getOverriddenFlagIds` does not SCAN (at most about 10 pages). */
const OVERRIDE_SCAN_MAX_KEYS = 10_000;

/**
 * An error reply: the server is there but refuses the command (an ACL without `scan` or
 * `dbsize`, a renamed command). Then the store cannot tell which flags have overrides, and the
 * overrides litestar-flags wrote for a deleted flag stay (never read: no flag has that id).
 */
function isRefusedCommand(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Overrides of `RedisFeatureFlagStorage` (see RedisStorageBase for why the class spans files).
 * The override keys are litestar-flags'; ours are also in a per-flag index so that a flag's delete
 * finds them without SCAN, while those litestar-flags wrote are found by SCAN.
 */
export abstract class RedisOverrideStorage extends RedisScheduleStorage {
  async getOverride(
    flagId: string,
    entityType: string,
    entityId: string,
  ): Promise<FlagOverride | null> {
    if (!isStorableOverrideRef(flagId, entityType, entityId)) return null;
    const key = this.keys.override(flagId, entityType, entityId);
    const document = await this.client().get(key);
    if (document === null) return null;
    const override = parseOverride(document);
    if (!isOverrideExpired(override)) return override;
    // Ours carry a TTL and vanish by themselves; litestar-flags writes an expired override
    // without one and deletes it when read, which its readers and ours now both do.
    await scripts.DELETE_EXPIRED_OVERRIDE.run(
      this.client(),
      [key, this.keys.overrideIndex(flagId)],
      [document],
    );
    return null;
  }

  /**
   * Read from the override keys themselves (litestar-flags indexes none), with one SCAN: made
   * only while the database is small, else `null` and the cache looks each entity up.
   */
  async getOverriddenFlagIds(): Promise<string[] | null> {
    try {
      return await this.overriddenFlagIdsByScan();
    } catch (error) {
      if (isRefusedCommand(error)) return null;
      throw error;
    }
  }

  private async overriddenFlagIdsByScan(): Promise<string[] | null> {
    const [size] = await pipelinedOn(this.client(), this.keys.flags, ['dbsize']);
    if (Number(size) > OVERRIDE_SCAN_MAX_KEYS) return null;
    const start = `${this.prefix}override:`;
    const ids = new Set<string>();
    await this.scan(`${globEscape(start)}*`, (keys) => {
      // `{flag_id}:{entity_type}:{entity_id}`, where an id may hold ':': each place the flag id
      // could end counts (a superset only costs lookups).
      for (const key of keys) {
        for (
          let end = key.indexOf(':', start.length);
          end !== -1;
          end = key.indexOf(':', end + 1)
        ) {
          ids.add(key.slice(start.length, end));
        }
      }
    });
    return [...ids];
  }

  async createOverride(input: CreateOverrideInput): Promise<FlagOverride> {
    const key = this.keys.override(input.flagId, input.entityType, input.entityId);
    const stored = await this.client().get(key);
    const existing = stored === null ? null : parseOverride(stored);
    const live = existing && !isOverrideExpired(existing) ? existing : undefined;
    // An upsert keeps the identity of the live override it replaces.
    const override = buildOverride({
      ...input,
      id: live?.id ?? input.id,
      createdAt: live?.createdAt ?? input.createdAt,
    });
    const now = Date.now();
    const expiresAt = override.expiresAt?.getTime();
    // An override that is already expired still gets written (and vanishes at once), as the
    // other backends store it and then never return it.
    const ttl = expiresAt === undefined ? '' : Math.max(1, expiresAt - now);
    await scripts.SET_OVERRIDE.run(
      this.client(),
      [key, this.keys.overrideIndex(override.flagId)],
      [serializeOverride(override), ttl, expiresAt ?? '', now],
    );
    return override;
  }

  async deleteOverride(flagId: string, entityType: string, entityId: string): Promise<boolean> {
    if (!isStorableOverrideRef(flagId, entityType, entityId)) return false;
    const key = this.keys.override(flagId, entityType, entityId);
    const results = await this.client()
      .multi()
      .del(key)
      .zrem(this.keys.overrideIndex(flagId), key)
      .exec();
    const [error, deleted] = results?.[0] ?? [new Error('transaction aborted'), 0];
    if (error) throw error;
    return deleted === 1;
  }

  /**
   * Overrides another writer (litestar-flags) stored for a deleted flag are not in our index:
   * find them with SCAN. Not atomic with the delete, and it need not be: an override of a flag id
   * that no longer exists is never read (a flag created again gets a new id).
   */
  protected async deleteUnindexedOverrides(flagId: string): Promise<void> {
    const pattern = `${globEscape(`${this.prefix}override:${flagId}:`)}*`;
    try {
      await this.scan(pattern, (keys) => this.client().unlink(...keys));
    } catch (error) {
      if (!isRefusedCommand(error)) throw error;
    }
  }
}
