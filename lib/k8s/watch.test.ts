import { describe, expect, it } from "vitest";
import type { KubeObject } from "./types";
import { applyWatchEvent, objectKey, sameObjects, type WatchEvent } from "./watch";

const obj = (uid: string, rv: string, name = uid, extra: Record<string, unknown> = {}): KubeObject & Record<string, unknown> => ({
  metadata: { uid, name, namespace: "media", resourceVersion: rv },
  ...extra,
});

const names = (list: readonly KubeObject[]) => list.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`);

describe("applyWatchEvent", () => {
  const base = [obj("a", "10"), obj("b", "11")];
  const cases: Array<{ name: string; list: KubeObject[]; event: WatchEvent; want: string[] }> = [
    { name: "ADDED appends a new object", list: base, event: { type: "ADDED", object: obj("c", "12") }, want: ["a@10", "b@11", "c@12"] },
    { name: "ADDED of a known uid replaces it in place", list: base, event: { type: "ADDED", object: obj("a", "13") }, want: ["a@13", "b@11"] },
    { name: "MODIFIED replaces by uid", list: base, event: { type: "MODIFIED", object: obj("b", "14") }, want: ["a@10", "b@14"] },
    { name: "MODIFIED of an unknown uid appends it", list: base, event: { type: "MODIFIED", object: obj("z", "15") }, want: ["a@10", "b@11", "z@15"] },
    { name: "DELETED removes by uid", list: base, event: { type: "DELETED", object: obj("a", "16") }, want: ["b@11"] },
    { name: "DELETED of an unknown uid changes nothing", list: base, event: { type: "DELETED", object: obj("q", "17") }, want: ["a@10", "b@11"] },
    { name: "BOOKMARK changes nothing", list: base, event: { type: "BOOKMARK", object: { metadata: { resourceVersion: "99" } } }, want: ["a@10", "b@11"] },
    { name: "ERROR changes nothing", list: base, event: { type: "ERROR", object: { metadata: {} } }, want: ["a@10", "b@11"] },
    {
      name: "resourceVersion is opaque: a lexically smaller version still replaces",
      list: [obj("a", "9")],
      event: { type: "MODIFIED", object: obj("a", "10") },
      want: ["a@10"],
    },
    {
      name: "a recreated object (same name, new uid) is a new entry",
      list: [obj("a", "5", "sonarr")],
      event: { type: "ADDED", object: obj("a2", "6", "sonarr") },
      want: ["sonarr@5", "sonarr@6"],
    },
    {
      name: "objects without uid are keyed by namespace/name",
      list: [{ metadata: { name: "x", namespace: "n", resourceVersion: "1" } }],
      event: { type: "MODIFIED", object: { metadata: { name: "x", namespace: "n", resourceVersion: "2" } } },
      want: ["x@2"],
    },
    { name: "an event without metadata is ignored", list: base, event: { type: "ADDED", object: {} }, want: ["a@10", "b@11"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(names(applyWatchEvent(c.list, c.event))).toEqual(c.want);
    });
  }

  it("never mutates its input", () => {
    const list = Object.freeze([obj("a", "1"), obj("b", "2")]);
    applyWatchEvent(list, { type: "MODIFIED", object: obj("a", "3") });
    applyWatchEvent(list, { type: "DELETED", object: obj("b", "2") });
    applyWatchEvent(list, { type: "ADDED", object: obj("c", "4") });
    expect(names(list)).toEqual(["a@1", "b@2"]);
  });

  it("returns the same list when nothing changed (same uid and version, bookmarks)", () => {
    const list = [obj("a", "1")];
    expect(applyWatchEvent(list, { type: "MODIFIED", object: obj("a", "1") })).toBe(list);
    expect(applyWatchEvent(list, { type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } })).toBe(list);
    expect(applyWatchEvent(list, { type: "MODIFIED", object: obj("a", "2") })).not.toBe(list);
  });

  it("folds a whole stream", () => {
    const stream: WatchEvent[] = [
      { type: "ADDED", object: obj("a", "1") },
      { type: "ADDED", object: obj("b", "2") },
      { type: "MODIFIED", object: obj("a", "3") },
      { type: "BOOKMARK", object: { metadata: { resourceVersion: "4" } } },
      { type: "DELETED", object: obj("b", "5") },
      { type: "ADDED", object: obj("c", "6") },
    ];
    expect(names(stream.reduce<readonly KubeObject[]>((l, e) => applyWatchEvent(l, e), []))).toEqual(["a@3", "c@6"]);
  });
});

describe("objectKey and sameObjects", () => {
  it("keys by uid, else namespace/name", () => {
    expect(objectKey(obj("u1", "1"))).toBe("u1");
    expect(objectKey({ metadata: { name: "n", namespace: "ns" } })).toBe("ns/n");
    expect(objectKey({})).toBeUndefined();
  });
  it("compares sets of uid@resourceVersion, ignoring order", () => {
    expect(sameObjects([obj("a", "1"), obj("b", "2")], [obj("b", "2"), obj("a", "1")])).toBe(true);
    expect(sameObjects([obj("a", "1")], [obj("a", "2")])).toBe(false);
    expect(sameObjects([obj("a", "1")], [obj("a", "1"), obj("b", "1")])).toBe(false);
    expect(sameObjects([obj("a", "1")], [obj("c", "1")])).toBe(false);
  });
});
