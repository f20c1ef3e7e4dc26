/**
 * Unified diffs of whole files, as `git diff` prints them, for the preview a person reads before a
 * change becomes a pull request. Line-based (Myers' O(ND) algorithm), three lines of context.
 */

/** One file before and after a change. `before: null` is a new file; `after: null` a deleted one. */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

type Op = { kind: "same" | "del" | "add"; line: string };

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === "") return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith("\n");
  const lines = (finalNewline ? text.slice(0, -1) : text).split("\n");
  return { lines, finalNewline };
}

/** Shortest edit script between two line arrays (Myers 1986), as a list of operations. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))) x = v[offset + k + 1] ?? 0;
      else x = (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace backwards to recover the path.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && (vd[offset + k - 1] ?? 0) < (vd[offset + k + 1] ?? 0))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = vd[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: "same", line: a[x - 1] ?? "" });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "add", line: b[y - 1] ?? "" });
      else ops.push({ kind: "del", line: a[x - 1] ?? "" });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

const NO_NEWLINE = "\\ No newline at end of file";

/**
 * The unified diff of one file (empty string when nothing changed), with `diff --git` headers so that
 * `git apply` accepts it.
 */
export function unifiedDiff(change: FileChange, context = 3): string {
  const before = change.before ?? "";
  const after = change.after ?? "";
  if (change.before !== null && change.after !== null && before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  // Compare the last lines together with their newline status, as git does.
  const aLines = a.lines.map((l, i) => (i === a.lines.length - 1 && !a.finalNewline ? `${l}\n${NO_NEWLINE}` : l));
  const bLines = b.lines.map((l, i) => (i === b.lines.length - 1 && !b.finalNewline ? `${l}\n${NO_NEWLINE}` : l));
  const ops = diffLines(aLines, bLines);

  const header = [`diff --git a/${change.path} b/${change.path}`];
  if (change.before === null) header.push("new file mode 100644", "--- /dev/null", `+++ b/${change.path}`);
  else if (change.after === null) header.push("deleted file mode 100644", `--- a/${change.path}`, "+++ /dev/null");
  else header.push(`--- a/${change.path}`, `+++ b/${change.path}`);

  // 1-based positions in the old and new file before each operation.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let nn = 1;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(nn);
    if (op.kind !== "add") o++;
    if (op.kind !== "del") nn++;
  }
  const changed = ops.flatMap((op, idx) => (op.kind === "same" ? [] : [idx]));
  const groups: Array<[number, number]> = [];
  for (const idx of changed) {
    const last = groups[groups.length - 1];
    if (last && idx - last[1] <= 2 * context) last[1] = idx + 1;
    else groups.push([idx, idx + 1]);
  }
  const hunks: string[] = [];
  for (const [first, afterLast] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(ops.length, afterLast + context);
    const slice = ops.slice(start, end);
    const oldCount = slice.filter((op) => op.kind !== "add").length;
    const newCount = slice.filter((op) => op.kind !== "del").length;
    const oldStart = oldCount === 0 ? (oldAt[start] ?? 1) - 1 : (oldAt[start] ?? 1);
    const newStart = newCount === 0 ? (newAt[start] ?? 1) - 1 : (newAt[start] ?? 1);
    const range = (s: number, c: number) => (c === 1 ? `${s}` : `${s},${c}`);
    hunks.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of slice) {
      const mark = op.kind === "same" ? " " : op.kind === "del" ? "-" : "+";
      hunks.push(`${mark}${op.line}`);
    }
  }
  return `${[...header, ...hunks].join("\n")}\n`;
}

/** The unified diff of several files, in the order given. */
export function unifiedDiffOf(changes: readonly FileChange[]): string {
  return changes.map((c) => unifiedDiff(c)).join("");
}

/** Lines added and removed in a unified diff (headers excluded). */
export function diffStats(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---")) continue;
    if (line.startsWith("+")) added++;
    else if (line.startsWith("-")) removed++;
  }
  return { added, removed };
}
