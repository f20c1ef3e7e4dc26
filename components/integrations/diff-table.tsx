import type { FieldDiff } from "@/lib/integrations/types";

/** Field-by-field difference: what the app holds and what the panel would set. Secret fields show words only. */
export function DiffTable({ diff }: { diff: readonly FieldDiff[] }) {
  if (diff.length === 0) return null;
  return (
    <table data-testid="link-diff" className="mt-2 w-full table-fixed text-left text-xs">
      <thead className="text-slate-500">
        <tr>
          <th className="w-1/4 py-1 font-medium">Field</th>
          <th className="w-3/8 py-1 font-medium">Now</th>
          <th className="w-3/8 py-1 font-medium">Will be</th>
        </tr>
      </thead>
      <tbody>
        {diff.map((d) => (
          <tr key={d.field} data-testid="diff-row" data-field={d.field} className="border-t border-slate-200 align-top dark:border-slate-800">
            <td className="py-1 pr-2">{d.label}</td>
            <td className={`break-all py-1 pr-2 ${d.secret ? "italic" : "font-mono"} text-red-800 dark:text-red-300`}>{d.current ?? "(empty)"}</td>
            <td className={`break-all py-1 ${d.secret ? "italic" : "font-mono"} text-emerald-800 dark:text-emerald-300`}>{d.desired ?? "(empty)"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
