import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { diffLines, diffStats, unifiedDiff } from "./diff";

/** Applies `diff` with `git apply` in a scratch folder holding `before` and returns the result. */
function gitApply(file: string, before: string | null, diff: string): string | null {
  const dir = mkdtempSync(path.join(tmpdir(), "diff-test-"));
  if (before !== null) writeFileSync(path.join(dir, file), before);
  writeFileSync(path.join(dir, "change.patch"), diff);
  execFileSync("git", ["apply", "--unsafe-paths", "change.patch"], { cwd: dir });
  try {
    return readFileSync(path.join(dir, file), "utf8");
  } catch {
    return null;
  }
}

const cases: Array<{ name: string; before: string | null; after: string | null }> = [
  { name: "insert in the middle", before: "a\nb\nc\nd\ne\nf\ng\nh\n", after: "a\nb\nc\nd\nX\ne\nf\ng\nh\n" },
  { name: "two distant hunks", before: Array.from({ length: 30 }, (_, i) => `l${i}`).join("\n") + "\n", after: Array.from({ length: 30 }, (_, i) => (i === 2 || i === 25 ? `L${i}` : `l${i}`)).join("\n") + "\n" },
  { name: "append at the end", before: "a\nb\n", after: "a\nb\nc\n" },
  { name: "no final newline", before: "a\nb", after: "a\nb\nc" },
  { name: "delete lines", before: "a\nb\nc\nd\n", after: "a\nd\n" },
  { name: "new file", before: null, after: "x: 1\ny: 2\n" },
  { name: "deleted file", before: "x: 1\n", after: null },
];

describe("unifiedDiff", () => {
  for (const c of cases) {
    it(`${c.name}: git apply reproduces the new file`, () => {
      const diff = unifiedDiff({ path: "f.yaml", before: c.before, after: c.after });
      expect(diff).toMatch(/^diff --git a\/f.yaml b\/f.yaml\n/);
      expect(gitApply("f.yaml", c.before, diff)).toBe(c.after);
    });
  }

  it("is empty when nothing changed, and counts lines", () => {
    expect(unifiedDiff({ path: "f", before: "a\n", after: "a\n" })).toBe("");
    const diff = unifiedDiff({ path: "f", before: "a\nb\n", after: "a\nc\nd\n" });
    expect(diffStats(diff)).toEqual({ added: 2, removed: 1 });
    expect(diff).toContain("@@ -1,2 +1,3 @@");
  });

  it("finds a shortest edit script", () => {
    const ops = diffLines(["a", "b", "c", "a", "b", "b", "a"], ["c", "b", "a", "b", "a", "c"]);
    expect(ops.filter((o) => o.kind !== "same")).toHaveLength(5);
  });
});
