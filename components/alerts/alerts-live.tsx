"use client";

import { useQuery } from "@tanstack/react-query";
import { IntentLink } from "@/components/ui/intent-link";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import type { AlertView } from "@/lib/alerts/view";
import type { AlertsData } from "@/lib/alerts/page-data";
import { useLiveUpdates } from "../health/use-live-updates";
import { Alert } from "../ui/alert";
import { Badge, type BadgeTone } from "../ui/badge";
import { Card } from "../ui/card";

type SilenceInput = { labels: Record<string, string>; minutes: number; comment: string };

const SEVERITY_TONE: Record<string, BadgeTone> = { critical: "bad", warning: "warn", info: "neutral" };
const SOURCE_TEXT = { panel: "panel detector", prometheus: "Prometheus", alertmanager: "Alertmanager" } as const;
const DURATIONS = [
  { minutes: 60, label: "1 hour" },
  { minutes: 240, label: "4 hours" },
  { minutes: 720, label: "12 hours" },
  { minutes: 1440, label: "1 day" },
  { minutes: 10080, label: "7 days" },
];

function since(ms: number | null, now: number): string {
  if (ms === null) return "";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const text = s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
  return `for ${text} (since ${new Date(ms).toLocaleString()})`;
}

async function fetchAlerts(): Promise<AlertsData> {
  const res = await fetch("/api/alerts", { cache: "no-store" });
  const body = (await res.json().catch(() => ({}))) as AlertsData & { error?: { message?: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `The panel answered HTTP ${res.status}.`);
  return body;
}

function SilenceForm({ alert, silence, done }: { alert: AlertView; silence: (i: SilenceInput) => Promise<ActionResult<{ id: string; endsAt: string }>>; done: () => void }) {
  const [minutes, setMinutes] = useState(240);
  const [comment, setComment] = useState("");
  const [result, setResult] = useState<ActionResult<{ id: string; endsAt: string }> | null>(null);
  const [pending, start] = useTransition();
  return (
    <form
      data-testid="silence-form"
      className="mt-2 flex flex-wrap items-end gap-2 rounded-md border border-slate-200 p-2 dark:border-slate-800"
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          try {
            const r = await silence({ labels: alert.labels, minutes, comment });
            setResult(r);
            if (r.ok) done();
          } catch {
            setResult({ ok: false, code: "unreachable", message: "The panel did not answer. Try again." });
          }
        });
      }}
    >
      <label className="text-xs">
        For
        <select data-testid="silence-duration" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} className="ml-1 rounded border border-slate-300 px-1 py-1 dark:border-slate-700 dark:bg-slate-900">
          {DURATIONS.map((d) => (
            <option key={d.minutes} value={d.minutes}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      <label className="min-w-48 flex-1 text-xs">
        Why (the next person sees it)
        <input data-testid="silence-comment" value={comment} onChange={(e) => setComment(e.target.value)} required minLength={3} maxLength={500} className="mt-0.5 block w-full rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900" />
      </label>
      <button type="submit" disabled={pending} data-testid="silence-submit" className="rounded-md bg-sky-700 px-3 py-1.5 text-xs font-medium text-white disabled:opacity-60">
        {pending ? "Silencing…" : "Silence in Alertmanager"}
      </button>
      {result && !result.ok && (
        <p role="alert" className="w-full text-xs text-red-700 dark:text-red-300">
          {result.message}
        </p>
      )}
    </form>
  );
}

function AlertRow({ alert, now, admin, silence }: { alert: AlertView; now: number; admin: boolean; silence: (i: SilenceInput) => Promise<ActionResult<{ id: string; endsAt: string }>> }) {
  const [open, setOpen] = useState(false);
  const silenced = alert.silencedBy.length > 0;
  return (
    <li data-testid="alert-row" data-alert={alert.name} data-source={alert.source} data-state={alert.state} data-silenced={silenced ? "true" : "false"} className="border-t border-slate-200 py-2 first:border-t-0 dark:border-slate-800">
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={SEVERITY_TONE[alert.severity] ?? "neutral"}>{alert.severity}</Badge>
        <Badge tone={alert.state === "firing" ? "bad" : "warn"}>{alert.state}</Badge>
        {silenced && <Badge tone="neutral">silenced</Badge>}
        <span className="font-medium" data-testid="alert-name">
          {alert.name}
        </span>
        <span className="text-xs text-slate-500">
          {SOURCE_TEXT[alert.source]}
          {alert.inAlertmanager && alert.source !== "alertmanager" ? " + Alertmanager" : ""} {since(alert.since, now)}
        </span>
      </div>
      <p className="mt-1 text-sm" data-testid="alert-summary">
        {alert.summary}
      </p>
      {alert.description && <p className="text-xs text-slate-600 dark:text-slate-400">{alert.description}</p>}
      {alert.silencedBy.map((s) => (
        <p key={s.id} className="text-xs text-slate-600 dark:text-slate-400" data-testid="alert-silence">
          Silenced until {new Date(s.endsAt).toLocaleString()} by {s.createdBy}: “{s.comment}”
        </p>
      ))}
      <div className="mt-1 flex flex-wrap gap-3 text-xs">
        {alert.runbook && (
          <a href={alert.runbook} data-testid="alert-runbook" className="text-sky-700 underline dark:text-sky-300" {...(alert.runbook.startsWith("http") ? { rel: "noreferrer noopener", target: "_blank" } : {})}>
            Runbook
          </a>
        )}
        {alert.serviceId && (
          <IntentLink href={`/services/${alert.serviceId}`} className="text-sky-700 underline dark:text-sky-300">
            Service page
          </IntentLink>
        )}
        {admin && alert.inAlertmanager && !silenced && (
          <button type="button" onClick={() => setOpen((v) => !v)} data-testid="alert-silence-open" className="text-sky-700 underline dark:text-sky-300">
            {open ? "Cancel" : "Silence…"}
          </button>
        )}
      </div>
      {open && <SilenceForm alert={alert} silence={silence} done={() => setOpen(false)} />}
    </li>
  );
}

function SourceLine({ name, s }: { name: string; s: AlertsData["alertmanager"] }) {
  if (!s.configured) return null;
  return (
    <p className="text-xs" data-testid={`source-${name.toLowerCase()}`}>
      {name} {s.url}: <Badge tone={s.ok ? "ok" : "bad"}>{s.ok ? "reachable" : "unreachable"}</Badge> {s.error && <span className="text-red-700 dark:text-red-300">{s.error}</span>}
    </p>
  );
}

/** The Alerts page, live: refetched on every probe sweep (the detector runs on them) and every 10 s. */
export function AlertsLive({
  initial,
  admin,
  silence,
  expire,
}: {
  initial: AlertsData;
  admin: boolean;
  silence: (i: SilenceInput) => Promise<ActionResult<{ id: string; endsAt: string }>>;
  expire: (i: { id: string }) => Promise<ActionResult<{ id: string }>>;
}) {
  const query = useQuery({ queryKey: ["alerts"], queryFn: fetchAlerts, initialData: initial, refetchInterval: 10_000 });
  useLiveUpdates([{ queryKey: ["alerts"] }]);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [pending, start] = useTransition();
  const data = query.data;
  const now = data.generatedAt;
  const refetch = () => void query.refetch();
  const silenceAndRefetch = async (i: SilenceInput) => {
    const r = await silence(i);
    setMessage(r.ok ? { tone: "success", text: `Silenced in Alertmanager until ${new Date(r.data.endsAt).toLocaleString()}.` } : { tone: "error", text: r.message });
    refetch();
    return r;
  };
  return (
    <div className="space-y-4">
      {query.error && <Alert title="The alerts could not be read">{query.error.message}</Alert>}
      {message && (
        <Alert tone={message.tone} testId="alerts-message">
          {message.text}
        </Alert>
      )}
      <Card title="Sources" testId="alert-sources">
        {!data.prometheus.configured && !data.alertmanager.configured && (
          <p className="text-sm" data-testid="alerts-not-connected">
            Prometheus and Alertmanager are not connected. Set <code>alerts.prometheus.url</code> and <code>alerts.alertmanager.url</code> in the panel&apos;s configuration (for example{" "}
            <code>http://prometheus.monitoring.svc:9090</code> and <code>http://alertmanager.monitoring.svc:9093</code>) to see their alerts here and silence them. The panel&apos;s own detector works without them.
          </p>
        )}
        <SourceLine name="Prometheus" s={data.prometheus} />
        <SourceLine name="Alertmanager" s={data.alertmanager} />
        {data.prometheus.panelRules && (
          <p className="text-xs" data-testid="panel-rules-state">
            {data.prometheus.panelRules.loaded
              ? `The panel's alert rules are loaded (${data.prometheus.panelRules.count} rules${data.prometheus.panelRules.file ? ` from ${data.prometheus.panelRules.file}` : ""}).`
              : "The panel's alert rules are not loaded in Prometheus: propose them on the Changes page."}
            {data.prometheus.panelRules.unhealthy.length > 0 && ` Unhealthy: ${data.prometheus.panelRules.unhealthy.join("; ")}`}
          </p>
        )}
        <p className="text-xs" data-testid="detector-state">
          {data.detector.enabled
            ? `Panel detector: a service is reported down after ${data.detector.downProbes} failed probes (${data.detector.probeIntervalSeconds} s apart); ${data.detector.targets} notification target${data.detector.targets === 1 ? "" : "s"}.`
            : "Panel detector: off (no cluster is watched)."}
        </p>
      </Card>
      {data.groups.length === 0 ? (
        <Card testId="alerts-none">
          <p className="text-sm">Nothing is firing or pending.</p>
        </Card>
      ) : (
        data.groups.map((g) => (
          <Card key={g.serviceId ?? "(none)"} title={g.title} testId="alert-group">
            <div data-service={g.serviceId ?? ""} data-testid="alert-group-service">
              {g.serviceId && (
                <p className="mb-1 text-xs">
                  <IntentLink href={`/services/${g.serviceId}`} className="text-sky-700 underline dark:text-sky-300">
                    {g.serviceId}
                  </IntentLink>
                  {g.appKind && (
                    <>
                      {" · "}
                      <a href={`/runbooks/apps/${g.appKind}`} className="text-sky-700 underline dark:text-sky-300">
                        {g.appKind} runbook
                      </a>
                    </>
                  )}
                </p>
              )}
              <ul>
                {g.alerts.map((a) => (
                  <AlertRow key={a.key} alert={a} now={now} admin={admin} silence={silenceAndRefetch} />
                ))}
              </ul>
            </div>
          </Card>
        ))
      )}
      {data.silences.length > 0 && (
        <Card title="Silences" testId="silences">
          <ul className="space-y-2 text-sm">
            {data.silences.map((s) => (
              <li key={s.id} data-testid="silence-row" data-silence={s.id} className="flex flex-wrap items-center gap-2">
                <Badge tone={s.state === "active" ? "warn" : "neutral"}>{s.state}</Badge>
                <code className="text-xs">{s.matchers}</code>
                <span className="text-xs">
                  until {new Date(s.endsAt).toLocaleString()} · {s.createdBy}: “{s.comment}”
                </span>
                {admin && (
                  <button
                    type="button"
                    disabled={pending}
                    data-testid="silence-expire"
                    className="text-xs text-red-700 underline disabled:opacity-60 dark:text-red-300"
                    onClick={() => {
                      if (!window.confirm("End this silence now? The alerts it mutes notify again.")) return;
                      start(async () => {
                        const r = await expire({ id: s.id }).catch(() => ({ ok: false, code: "unreachable", message: "The panel did not answer." }) as const);
                        setMessage(r.ok ? { tone: "success", text: "The silence has ended." } : { tone: "error", text: r.message });
                        refetch();
                      });
                    }}
                  >
                    End silence
                  </button>
                )}
              </li>
            ))}
          </ul>
        </Card>
      )}
      <Card title="Notifications sent by the panel" testId="notification-history">
        {data.notifications.length === 0 ? (
          <p className="text-sm">None yet.</p>
        ) : (
          <table className="w-full text-left text-xs">
            <thead>
              <tr>
                <th className="py-1">When</th>
                <th>Target</th>
                <th>Message</th>
                <th>Delivery</th>
              </tr>
            </thead>
            <tbody>
              {data.notifications.map((n) => (
                <tr key={n.id} data-testid="notification-row" data-event={n.event} data-status={n.status} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-1">{new Date(n.createdAt).toLocaleString()}</td>
                  <td>{n.target}</td>
                  <td>
                    {n.title}
                    {n.runbookUrl && (
                      <>
                        {" "}
                        <a href={n.runbookUrl} className="text-sky-700 underline dark:text-sky-300">
                          runbook
                        </a>
                      </>
                    )}
                  </td>
                  <td>
                    {n.status === "sent" ? "delivered" : n.status === "pending" ? `waiting (${n.attempts} attempt${n.attempts === 1 ? "" : "s"}${n.lastError ? `: ${n.lastError}` : ""})` : `gave up: ${n.lastError ?? ""}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
