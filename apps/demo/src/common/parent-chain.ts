/**
 * Whether `ancestorId` is `parentId` or one of its ancestors: then making `parentId` the parent of
 * `ancestorId` would close a loop. The library survives loops (their members match nothing), but
 * an admin who builds one by mistake should hear about it rather than find a silent no-op.
 */
export function wouldLoop<T extends { id: string }>(
  records: readonly T[],
  parentOf: (record: T) => string | null,
  parentId: string,
  ancestorId: string,
): boolean {
  const byId = new Map(records.map((record) => [record.id, record]));
  const seen = new Set<string>();
  for (let id: string | null = parentId; id !== null && !seen.has(id);) {
    if (id === ancestorId) return true;
    seen.add(id);
    const record = byId.get(id);
    id = record ? parentOf(record) : null;
  }
  return false;
}
