"use client";

import { useQuery } from "@tanstack/react-query";

async function fetchCount(): Promise<number> {
  const res = await fetch("/api/alerts/count", { cache: "no-store" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return ((await res.json()) as { count: number }).count;
}

/** Firing alerts that are not silenced, next to "Alerts" in the navigation (read every 15 s). */
export function NavAlertCount({ initial }: { initial: number }) {
  const { data } = useQuery({ queryKey: ["alerts", "count"], queryFn: fetchCount, initialData: initial, refetchInterval: 15_000 });
  if (!data) return null;
  return (
    <span data-testid="nav-alert-count" aria-label={`${data} firing`} className="ml-2 inline-flex min-w-5 justify-center rounded-full bg-red-600 px-1.5 text-xs font-semibold text-white">
      {data}
    </span>
  );
}
