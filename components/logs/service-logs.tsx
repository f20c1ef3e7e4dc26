"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { LOG_LEVELS, isLogLevel, lineMatcher, type LogLevel, type LogLine } from "@/lib/logs/lines";
import type { LogSource, ServiceLogs as ServiceLogsData } from "@/lib/logs/types";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Card } from "../ui/card";

/** Lines kept while following (older ones scroll away). */
const MAX_FOLLOWED_LINES = 5000;

async function fetchLogs(namespace: string, name: string, params: Record<string, string | undefined>): Promise<ServiceLogsData> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const response = await fetch(`/api/services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/logs?${q.toString()}`);
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `The panel answered ${response.status}.`);
  return body as ServiceLogsData;
}

const LEVEL_TONE: Record<LogLevel, string> = {
  trace: "text-slate-400",
  debug: "text-slate-500",
  info: "",
  warn: "text-amber-700 dark:text-amber-300",
  error: "text-red-700 dark:text-red-300",
  fatal: "font-semibold text-red-800 dark:text-red-200",
};

function shortTime(time: string | undefined): string {
  if (!time) return "";
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(time);
  return m?.[1] ?? time;
}

/**
 * The logs of a service on its page: per pod and container, the run before the last restart and the
 * current one (the lines around the restart marked), search, a level filter, live follow over its own
 * authenticated event stream, and Loki as a second source when the cluster has it. Shown to those
 * who may read logs; the others are told who can open them.
 */
export function ServiceLogs({ namespace, name, allowed, restarts }: { namespace: string; name: string; allowed: boolean; restarts: number }) {
  const [source, setSource] = useState<LogSource>("kubernetes");
  const [pod, setPod] = useState("");
  const [container, setContainer] = useState("");
  const [search, setSearch] = useState("");
  const [lokiSearch, setLokiSearch] = useState("");
  const [minLevel, setMinLevel] = useState<LogLevel | "">("");
  const [follow, setFollow] = useState(false);
  const [followed, setFollowed] = useState<LogLine[]>([]);
  const [followNotes, setFollowNotes] = useState<string[]>([]);
  const bottom = useRef<HTMLDivElement>(null);

  const query = useQuery({
    queryKey: ["logs", namespace, name, source, pod, container, source === "loki" ? lokiSearch : "", restarts],
    queryFn: () => fetchLogs(namespace, name, { source, pod, container, search: source === "loki" ? lokiSearch : undefined }),
    enabled: allowed,
    refetchOnWindowFocus: false,
  });

  useEffect(() => {
    if (!follow || !allowed || source !== "kubernetes") return;
    const q = new URLSearchParams();
    if (pod) q.set("pod", pod);
    if (container) q.set("container", container);
    const events = new EventSource(`/api/services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/logs/stream?${q.toString()}`);
    events.addEventListener("line", (e) => {
      try {
        const line = JSON.parse((e as MessageEvent<string>).data) as LogLine;
        setFollowed((prev) => [...prev, line].slice(-MAX_FOLLOWED_LINES));
      } catch {
        // A malformed event is skipped.
      }
    });
    events.addEventListener("note", (e) => {
      try {
        const { message } = JSON.parse((e as MessageEvent<string>).data) as { message: string };
        setFollowNotes((prev) => [...prev, message]);
      } catch {
        // skipped
      }
    });
    events.addEventListener("end", () => {
      events.close();
      setFollow(false);
    });
    events.addEventListener("session-ended", () => {
      events.close();
      setFollow(false);
      setFollowNotes((prev) => [...prev, "Your session ended or may no longer read logs."]);
    });
    return () => events.close();
  }, [follow, allowed, source, pod, container, namespace, name]);

  useEffect(() => {
    if (follow) bottom.current?.scrollIntoView({ block: "nearest" });
  }, [followed, follow]);

  const data = query.data;
  const lines = useMemo(() => [...(data?.lines ?? []), ...(source === "kubernetes" ? followed : [])], [data, followed, source]);
  const match = useMemo(() => lineMatcher({ query: source === "loki" ? "" : search, minLevel: minLevel || undefined }), [search, minLevel, source]);
  const shown = useMemo(() => lines.filter(match), [lines, match]);
  const pods = [...new Set((data?.containers ?? []).map((c) => c.pod))];
  const containers = [...new Set((data?.containers ?? []).filter((c) => !pod || c.pod === pod).map((c) => c.container))];
  const restarted = (data?.containers ?? []).filter((c) => c.restarts > 0 && (!pod || c.pod === pod) && (!container || c.container === container));
  const control = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950";

  if (!allowed) {
    return (
      <Card title="Logs" testId="logs">
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="logs-not-allowed">
          Logs are shown to admins. An admin can open them to viewers in Settings.
        </p>
      </Card>
    );
  }

  return (
    <Card
      title="Logs"
      testId="logs"
      actions={
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <label className="flex items-center gap-1">
            <span className="sr-only">Source</span>
            <select
              data-testid="logs-source"
              className={control}
              value={source}
              onChange={(e) => {
                setSource(e.target.value as LogSource);
                setFollow(false);
              }}
            >
              <option value="kubernetes">Kubernetes</option>
              <option value="loki" disabled={!data?.loki.available}>
                Loki{data && !data.loki.available ? " (not found)" : ""}
              </option>
            </select>
          </label>
          <label className="flex items-center gap-1">
            <span className="sr-only">Pod</span>
            <select data-testid="logs-pod" className={control} value={pod} onChange={(e) => {
                setPod(e.target.value);
                setContainer("");
                setFollow(false);
                setFollowed([]);
              }}>
              <option value="">all pods</option>
              {pods.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-center gap-1">
            <span className="sr-only">Container</span>
            <select data-testid="logs-container" className={control} value={container} onChange={(e) => {
                setContainer(e.target.value);
                setFollow(false);
                setFollowed([]);
              }}>
              <option value="">all containers</option>
              {containers.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-center gap-1">
            <span className="sr-only">Level</span>
            <select
              data-testid="logs-level"
              className={control}
              value={minLevel}
              onChange={(e) => setMinLevel(isLogLevel(e.target.value) ? e.target.value : "")}
            >
              <option value="">all levels</option>
              {LOG_LEVELS.filter((l) => l !== "trace").map((l) => (
                <option key={l} value={l}>
                  {l} and worse
                </option>
              ))}
            </select>
          </label>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (source === "loki") setLokiSearch(search);
            }}
          >
            <input
              type="search"
              data-testid="logs-search"
              aria-label="Search the logs"
              placeholder={source === "loki" ? "search in Loki (Enter)" : "search (text or /regex/)"}
              className={`${control} w-48`}
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </form>
          <button
            type="button"
            data-testid="logs-follow"
            aria-pressed={follow}
            disabled={source !== "kubernetes"}
            onClick={() => {
              if (!follow) {
                setFollowed([]);
                setFollowNotes([]);
              }
              setFollow(!follow);
            }}
            className={`rounded px-2 py-1 text-xs ${follow ? "bg-sky-700 text-white" : "border border-slate-300 dark:border-slate-700"}`}
          >
            {follow ? "Following" : "Follow"}
          </button>
          <button type="button" data-testid="logs-refresh" onClick={() => void query.refetch()} className="rounded border border-slate-300 px-2 py-1 text-xs dark:border-slate-700">
            Refresh
          </button>
        </div>
      }
    >
      {query.isError && <Alert testId="logs-error">{(query.error as Error).message}</Alert>}
      {data && (
        <p className="mb-2 text-xs text-slate-500" data-testid="logs-source-label">
          From {data.sourceLabel}. Known secrets are masked.
          {data.truncated ? " Some of it was cut: the log is longer than the panel reads at once." : ""}
        </p>
      )}
      {data?.maskingIncomplete && (
        <Alert tone="info" testId="logs-masking">
          {data.maskingIncomplete}
        </Alert>
      )}
      {source === "kubernetes" && restarted.length > 0 && (
        <ul className="mb-2 space-y-1 text-sm" data-testid="logs-restarts">
          {restarted.map((c) => (
            <li key={`${c.pod}/${c.container}`}>
              <Badge tone="bad">restarted {c.restarts}×</Badge>{" "}
              <span className="font-mono text-xs">
                {c.pod} / {c.container}
              </span>{" "}
              {c.lastTermination
                ? `last run ended ${c.lastTermination.finishedAt ?? ""} with exit code ${c.lastTermination.exitCode ?? "?"} (${c.lastTermination.reason ?? "?"}); now ${c.state}. The marked lines are the end of that run and the start of the next.`
                : `now ${c.state}.`}
            </li>
          ))}
        </ul>
      )}
      {[...(data?.notes ?? []), ...followNotes].map((n, i) => (
        <p key={i} className="text-xs text-slate-500" data-testid="logs-note">
          {n}
        </p>
      ))}
      {query.isPending ? (
        <p className="text-sm text-slate-500">Reading the logs…</p>
      ) : (
        <div className="mt-2 max-h-[32rem] overflow-auto rounded border border-slate-200 bg-slate-50 p-2 font-mono text-xs dark:border-slate-800 dark:bg-slate-950" data-testid="logs-lines">
          {shown.length === 0 ? (
            <p className="text-slate-500" data-testid="logs-empty">
              {lines.length === 0 ? "No log lines." : "No line matches the search and level."}
            </p>
          ) : (
            shown.map((l, i) => {
              const prev = shown[i - 1];
              const divider = prev && prev.run === "previous" && l.run === "current" && prev.pod === l.pod && prev.container === l.container;
              return (
                <div key={`${i}-${l.time ?? ""}`}>
                  {divider && (
                    <div className="my-1 border-t border-red-400 pt-1 text-[11px] font-sans font-medium text-red-700 dark:text-red-300" data-testid="logs-restart-divider">
                      restarted: the container&apos;s next run starts here
                    </div>
                  )}
                  <div
                    data-testid="log-line"
                    data-run={l.run}
                    data-level={l.level ?? ""}
                    data-highlight={l.highlight ? "true" : "false"}
                    className={`whitespace-pre-wrap break-all ${LEVEL_TONE[l.level ?? "info"]} ${l.highlight ? "border-l-4 border-red-500 bg-red-50 pl-1 dark:bg-red-950/40" : "pl-2"}`}
                  >
                    <span className="mr-2 select-none text-slate-400">{shortTime(l.time)}</span>
                    {(pods.length > 1 || containers.length > 1) && !pod && (
                      <span className="mr-2 select-none text-slate-400">
                        {l.pod.slice(-5)}/{l.container}
                      </span>
                    )}
                    {l.run === "previous" && <span className="mr-2 select-none text-red-600">[previous run]</span>}
                    {l.text}
                  </div>
                </div>
              );
            })
          )}
          <div ref={bottom} />
        </div>
      )}
      <p className="mt-1 text-xs text-slate-500" data-testid="logs-count">
        {shown.length} of {lines.length} lines
      </p>
    </Card>
  );
}
