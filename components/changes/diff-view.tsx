/** One line of a unified diff with its role. */
interface DiffLine {
  kind: "file" | "hunk" | "add" | "del" | "same" | "meta";
  text: string;
}

function classify(diff: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    if (line.startsWith("diff --git ")) out.push({ kind: "file", text: line.replace(/^diff --git a\/(\S+) b\/\S+$/, "$1") });
    else if (line.startsWith("+++ ") || line.startsWith("--- ") || line.startsWith("new file mode") || line.startsWith("deleted file mode")) out.push({ kind: "meta", text: line });
    else if (line.startsWith("@@")) out.push({ kind: "hunk", text: line });
    else if (line.startsWith("+")) out.push({ kind: "add", text: line });
    else if (line.startsWith("-")) out.push({ kind: "del", text: line });
    else out.push({ kind: "same", text: line });
  }
  return out;
}

const STYLE: Record<DiffLine["kind"], string> = {
  file: "mt-3 block bg-slate-200 px-2 py-1 font-semibold first:mt-0 dark:bg-slate-800",
  meta: "hidden",
  hunk: "block px-2 text-sky-800 dark:text-sky-300",
  add: "block bg-emerald-50 px-2 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200",
  del: "block bg-red-50 px-2 text-red-900 dark:bg-red-950 dark:text-red-200",
  same: "block px-2 text-slate-700 dark:text-slate-300",
};

/**
 * A unified diff as a reviewer reads it: one block per file, added lines green, removed lines red.
 * The +/- marks stay in the text, so the meaning does not depend on colour.
 */
export function DiffView({ diff, testId = "diff-view" }: { diff: string; testId?: string }) {
  if (diff.trim() === "") return <p className="text-sm text-slate-600 dark:text-slate-400">No changes.</p>;
  return (
    <pre
      data-testid={testId}
      className="max-h-[32rem] overflow-auto rounded-md border border-slate-200 bg-white py-1 font-mono text-xs leading-5 dark:border-slate-800 dark:bg-slate-950"
    >
      <code>
        {classify(diff).map((line, i) => (
          <span key={i} className={STYLE[line.kind]} data-diff={line.kind}>
            {line.text || " "}
          </span>
        ))}
      </code>
    </pre>
  );
}
