/** What a chart's box shows while its plotting code loads (rendered on the server; same size as the chart). */
export function PlotPlaceholder() {
  return <div className="h-full w-full animate-pulse rounded bg-slate-100 dark:bg-slate-800" data-testid="plot-loading" aria-hidden="true" />;
}
