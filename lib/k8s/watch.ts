import type { KubeObject } from "./types";

/** Types of the events of a Kubernetes watch stream. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** One line of a watch stream. For ERROR the object is a `Status` (410 Gone: the resourceVersion is too old). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** Identity of an object in a cache: its UID, or `namespace/name` when the UID is missing. */
export function objectKey(obj: KubeObject): string | undefined {
  const meta = obj.metadata;
  if (!meta) return undefined;
  if (meta.uid) return meta.uid;
  if (meta.name) return `${meta.namespace ?? ""}/${meta.name}`;
  return undefined;
}

/**
 * Folds one watch event into a list, without mutating it: ADDED and MODIFIED replace the object with
 * the same UID (or append it), DELETED removes it, BOOKMARK and ERROR change nothing. The
 * resourceVersion is opaque: it is never compared for order, only for equality (an event that carries
 * exactly the cached version returns the same list, so callers can detect "no change" by identity).
 */
export function applyWatchEvent<T extends KubeObject>(list: readonly T[], event: WatchEvent<T>): readonly T[] {
  if (event.type === "BOOKMARK" || event.type === "ERROR") return list;
  const key = objectKey(event.object);
  if (key === undefined) return list;
  const index = list.findIndex((o) => objectKey(o) === key);
  if (event.type === "DELETED") {
    if (index < 0) return list;
    return [...list.slice(0, index), ...list.slice(index + 1)];
  }
  if (index < 0) return [...list, event.object];
  const current = list[index];
  const rv = event.object.metadata?.resourceVersion;
  if (rv !== undefined && current?.metadata?.resourceVersion === rv) return list;
  const next = list.slice();
  next[index] = event.object;
  return next;
}

/**
 * True when two lists hold the same objects at the same resourceVersions (order ignored): a relist
 * after a reconnect that finds nothing new is not a change.
 */
export function sameObjects(a: readonly KubeObject[], b: readonly KubeObject[]): boolean {
  if (a.length !== b.length) return false;
  const versions = new Map<string, string | undefined>();
  for (const o of a) {
    const key = objectKey(o);
    if (key !== undefined) versions.set(key, o.metadata?.resourceVersion);
  }
  for (const o of b) {
    const key = objectKey(o);
    if (key === undefined || !versions.has(key) || versions.get(key) !== o.metadata?.resourceVersion) return false;
  }
  return true;
}
