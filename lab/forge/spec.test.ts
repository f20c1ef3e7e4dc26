import { describe, expect, it } from "vitest";
import { ADD_LABELS_PATH, encodeMultiSegment, FORGE_OPERATIONS, forgeDescription, loadSpec, multiSegmentPrefixes, operations, relaxOverlappingOneOf, SpecValidator, uncheckedForgeDescription } from "./spec";

const doc = loadSpec();

describe("GitHub subset description", () => {
  it("lists the operations the forge implements", () => {
    const ids = operations(doc).map((o) => o.operationId);
    expect(ids).toEqual(expect.arrayContaining(["pulls/create", "pulls/get", "pulls/list", "git/create-ref", "repos/get-content"]));
    expect(ids.length).toBe(19);
  });

  it("the forge adds issues/add-labels, which the subset lacks, answering the subset's own label shape", () => {
    expect(operations(doc).map((o) => o.operationId)).not.toContain("issues/add-labels");
    const served = forgeDescription();
    expect(operations(served).map((o) => o.operationId)).toEqual([...operations(doc).map((o) => o.operationId), "issues/add-labels"]);
    expect((served.paths[ADD_LABELS_PATH]?.post as Record<string, unknown>)["x-lab-added"]).toEqual(expect.any(String));
    const v = new SpecValidator(served);
    const label = { id: 1, node_id: "x", url: "http://127.0.0.1/repos/o/r/labels/a", name: "a", description: null, color: "ededed", default: false };
    expect(v.check("POST", ADD_LABELS_PATH, 200, [label]).valid).toBe(true);
    expect(v.check("POST", ADD_LABELS_PATH, 200, [{ ...label, color: undefined }]).valid).toBe(false);
    expect(v.checkRequestBody("POST", ADD_LABELS_PATH, { labels: ["a", "b"] }).valid).toBe(true);
    expect(v.checkRequestBody("POST", ADD_LABELS_PATH, { labels: [{ name: "a" }] }).valid).toBe(true);
    expect(v.checkRequestBody("POST", ADD_LABELS_PATH, { labels: [] }).valid).toBe(false);
    expect(v.checkRequestBody("POST", ADD_LABELS_PATH, { labels: [1] }).valid).toBe(false);
  });

  it("the operations the forge routes without the description are the served description's, path parameters and multi-segment tails alike", () => {
    const served = forgeDescription();
    const key = (o: { method: string; path: string; operationId: string }) => `${o.method} ${o.path} ${o.operationId}`;
    expect(FORGE_OPERATIONS.map(key).sort()).toEqual(operations(served).map(key).sort());
    expect(operations(uncheckedForgeDescription()).map(key).sort()).toEqual(operations(served).map(key).sort());
    expect(multiSegmentPrefixes(uncheckedForgeDescription()).map(String).sort()).toEqual(multiSegmentPrefixes(served).map(String).sort());
  });

  it("percent-encodes multi-segment path and ref parameters for routing", () => {
    const prefixes = multiSegmentPrefixes(doc);
    expect(encodeMultiSegment("/repos/o/r/contents/apps/a b.yaml", prefixes)).toBe("/repos/o/r/contents/apps%2Fa%20b.yaml");
    expect(encodeMultiSegment("/repos/o/r/git/ref/heads/feat/x", prefixes)).toBe("/repos/o/r/git/ref/heads%2Ffeat%2Fx");
    expect(encodeMultiSegment("/repos/o/r/git/refs", prefixes)).toBe("/repos/o/r/git/refs");
    expect(encodeMultiSegment("/repos/o/r/pulls/1", prefixes)).toBe("/repos/o/r/pulls/1");
  });

  it("relaxes only oneOf unions that no document could satisfy", () => {
    expect(doc.paths["/repos/{owner}/{repo}/contents/{path}"]?.put).toBeDefined();
    const put = (relaxOverlappingOneOf(doc).paths["/repos/{owner}/{repo}/contents/{path}"]?.put ?? {}) as { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> };
    expect(put.responses["409"]?.content["application/json"]?.schema.anyOf).toBeDefined();
    const get = (relaxOverlappingOneOf(doc).paths["/repos/{owner}/{repo}/contents/{path}"]?.get ?? {}) as { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> };
    expect(get.responses["200"]?.content["application/json"]?.schema.oneOf).toBeDefined();
  });

  it("rejects a response that misses required fields and accepts a valid one", () => {
    const v = new SpecValidator(doc);
    expect(v.check("GET", "/repos/{owner}/{repo}/git/ref/{ref}", 200, { ref: "refs/heads/main" }).valid).toBe(false);
    const ok = v.check("GET", "/repos/{owner}/{repo}/git/ref/{ref}", 200, {
      ref: "refs/heads/main",
      node_id: "x",
      url: "http://127.0.0.1/repos/o/r/git/refs/heads/main",
      object: { type: "commit", sha: "a".repeat(40), url: "http://127.0.0.1/repos/o/r/git/commits/aaa" },
    });
    expect(ok.valid).toBe(true);
    expect(v.check("GET", "/repos/{owner}/{repo}/git/ref/{ref}", 418, {}).undocumented).toBe(true);
    expect(v.checkRequestBody("POST", "/repos/{owner}/{repo}/pulls", { head: "x" }).valid).toBe(false);
  });
});
