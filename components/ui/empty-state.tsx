/** The honest "nothing here yet" state: what will appear, and what it needs. */
export function EmptyState({
  title,
  children,
  testId = "empty-state",
}: {
  title: string;
  children?: React.ReactNode;
  testId?: string;
}) {
  return (
    <div
      data-testid={testId}
      className="rounded-lg border border-dashed border-slate-300 p-6 text-center dark:border-slate-700"
    >
      <p className="font-medium">{title}</p>
      {children && <div className="mt-2 text-sm text-slate-600 dark:text-slate-400">{children}</div>}
    </div>
  );
}
