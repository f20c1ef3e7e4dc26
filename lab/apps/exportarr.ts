/**
 * A stand-in for exportarr (ghcr.io/onedr0p/exportarr), which cannot be fetched here: run by the
 * lab executor for a pod of that image (lab/executor/programs.ts), it serves `/metrics` with
 * exportarr's documented metric names, read from what the app (a lab simulator) answers on its API:
 *
 * - every app: `<app>_system_status`, `<app>_system_health_issues{source,type,message,wikiurl}`,
 *   `<app>_collector_error{collector}` (exportarr v3: a failed collector is a gauge, not a failed scrape);
 * - the *arr apps: `<app>_rootfolder_freespace_bytes{folder}`;
 * - SABnzbd: `sabnzbd_queue_length`, `sabnzbd_status{status}`, `sabnzbd_paused`;
 * - Bazarr: `bazarr_system_status`, `bazarr_system_health_issues`.
 *
 * Configuration as exportarr reads it: the app as the first argument, `URL`, `API_KEY` (or the older
 * `APIKEY`), `PORT`, `INTERFACE`. Every series carries `url`, as exportarr's do.
 */
import { createServer } from "node:http";

const app = (process.argv[2] ?? "").toLowerCase();
const base = (process.env.URL ?? "").replace(/\/+$/, "");
const apiKey = process.env.API_KEY ?? process.env.APIKEY ?? "";
const port = Number(process.env.PORT ?? 8081);
const iface = process.env.INTERFACE ?? "0.0.0.0";

const ARR_API: Record<string, string> = { sonarr: "/api/v3", radarr: "/api/v3", lidarr: "/api/v1", readarr: "/api/v1", prowlarr: "/api/v1" };
if (!["sonarr", "radarr", "lidarr", "readarr", "prowlarr", "sabnzbd", "bazarr"].includes(app) || base === "" || apiKey === "") {
  console.error(`exportarr: usage: exportarr <sonarr|radarr|lidarr|prowlarr|bazarr|sabnzbd> with URL and API_KEY set (got app "${app}", URL "${base}")`);
  process.exit(2);
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

class Out {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();
  gauge(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    if (!this.seen.has(name)) {
      this.seen.add(name);
      this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    }
    const all = { ...labels, url: base };
    this.lines.push(`${name}{${Object.entries(all).map(([k, v]) => `${k}="${esc(v)}"`).join(",")}} ${value}`);
  }
  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

async function get(path: string, header: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { headers: { [header]: apiKey, accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function collect(out: Out, name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    out.gauge(`${app}_collector_error`, "1 when the collector failed in the last scrape", 0, { collector: name });
  } catch (err) {
    console.error(`exportarr: ${name}: ${(err as Error).message}`);
    out.gauge(`${app}_collector_error`, "1 when the collector failed in the last scrape", 1, { collector: name });
  }
}

async function scrape(): Promise<string> {
  const out = new Out();
  if (app === "sabnzbd") {
    await collect(out, "queue", async () => {
      const q = ((await get(`/api?mode=queue&output=json&apikey=${encodeURIComponent(apiKey)}`, "x-api-key")) as { queue?: { status?: string; paused?: boolean; noofslots_total?: number } }).queue;
      if (!q) throw new Error("no queue in the answer");
      out.gauge("sabnzbd_queue_length", "Total number of items in the queue", Number(q.noofslots_total ?? 0));
      out.gauge("sabnzbd_status", "Status of the queue (1 for the current one)", 1, { status: String(q.status ?? "") });
      out.gauge("sabnzbd_paused", "Is the queue paused", q.paused ? 1 : 0);
    });
    return out.text();
  }
  const api = app === "bazarr" ? "/api" : (ARR_API[app] as string);
  const header = app === "bazarr" ? "x-api-key" : "x-api-key";
  await collect(out, "status", async () => {
    await get(`${api}/system/status`, header);
    out.gauge(`${app}_system_status`, "System Status", 1);
  });
  if (app !== "bazarr") {
    await collect(out, "health", async () => {
      const issues = (await get(`${api}/health`, header)) as Array<{ source?: string; type?: string; message?: string; wikiUrl?: string }>;
      if (issues.length === 0) out.gauge(`${app}_system_health_issues`, "Health issues in the app", 0, { source: "", type: "", message: "", wikiurl: "" });
      for (const i of issues) out.gauge(`${app}_system_health_issues`, "Health issues in the app", 1, { source: i.source ?? "", type: i.type ?? "", message: i.message ?? "", wikiurl: i.wikiUrl ?? "" });
    });
    if (app !== "prowlarr") {
      await collect(out, "rootfolder", async () => {
        const folders = (await get(`${api}/rootfolder`, header)) as Array<{ path?: string; freeSpace?: number }>;
        for (const f of folders) out.gauge(`${app}_rootfolder_freespace_bytes`, "Root folder space in bytes", Number(f.freeSpace ?? 0), { folder: f.path ?? "" });
      });
    }
  }
  return out.text();
}

createServer((req, res) => {
  if (req.url !== "/metrics" && !req.url?.startsWith("/metrics?")) {
    res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "text/plain" }).end(req.url === "/healthz" ? "ok\n" : "not found\n");
    return;
  }
  scrape().then(
    (text) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(text),
    (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`),
  );
}).listen(port, iface, () => console.log(`exportarr: ${app} metrics of ${base} on ${iface}:${port}/metrics`));
