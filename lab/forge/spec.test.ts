import { describe, expect, it } from "vitest";
import { encodeMultiSegment, loadSpec, multiSegmentPrefixes, operations, relaxOverlappingOneOf, SpecValidator } from "./spec";

const doc = loadSpec();

describe("GitHub subset description", () => {
  it("lists the operations the forge implements", () => {
    const ids = operations(doc).map((o) => o.operationId);
    expect(ids).toEqual(expect.arrayContaining(["pulls/create", "pulls/get", "pulls/list", "git/create-ref", "repos/get-content"]));
    expect(ids.length).toBe(19);
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
