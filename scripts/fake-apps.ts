import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { DiscoveredService } from "@/lib/services";
import type { AppKind } from "@/lib/apps/catalogue";

/**
 * Small HTTP servers on 127.0.0.1 standing in for apps, for the unit tests of the clients and the
 * prober and for `scripts/bench-probes.ts`. A handler answers each request with a status and a body,
 * after an optional delay, or never (`hang`), which is how an app that accepts connections but stopped
 * answering looks to the panel.
 */

/** A request as the fake app saw it. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer one request. */
export interface FakeAnswer {
  status?: number;
  json?: unknown;
  /** Raw body (sent as is; use for plain text, HTML or broken JSON). */
  text?: string;
  headers?: Record<string, string | string[]>;
  delayMs?: number;
  /** Never answer (the connection stays open until the server closes). */
  hang?: boolean;
  /** Send the headers and the first half of the body, then stall. */
  stallBody?: boolean;
}

export type FakeHandler = (req: FakeRequest) => FakeAnswer | undefined;

/** A running fake app. */
export interface FakeApp {
  url: string;
  port: number;
  requests: FakeRequest[];
  /** Each request left unanswered (`hang`): when it arrived and when its connection closed (performance.now()). */
  hangs: Array<{ start: number; end?: number }>;
  close(): Promise<void>;
}

/** Starts a fake app on a free loopback port; unknown routes answer 404. */
export async function startFakeApp(handler: FakeHandler): Promise<FakeApp> {
  const requests: FakeRequest[] = [];
  const hangs: FakeApp["hangs"] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake.local");
      const request: FakeRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      const answer = handler(request) ?? { status: 404, text: "Not Found" };
      if (answer.hang) {
        const hang: FakeApp["hangs"][number] = { start: performance.now() };
        hangs.push(hang);
        res.on("close", () => (hang.end = performance.now()));
        return;
      }
      const send = (): void => {
        const body = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? "");
        const type = answer.json !== undefined ? "application/json; charset=utf-8" : "text/plain; charset=utf-8";
        res.writeHead(answer.status ?? 200, { "content-type": type, ...answer.headers });
        if (answer.stallBody) res.write(body.slice(0, Math.floor(body.length / 2)));
        else res.end(body);
      };
      if (answer.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, answer.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    hangs,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Options of a fake *arr app (Sonarr-shaped, API v3). */
export interface FakeArrOptions {
  apiKey?: string;
  version?: string;
  urlBase?: string;
  health?: Array<{ source: string; type: "ok" | "notice" | "warning" | "error"; message: string; wikiUrl?: string }>;
  /** Every request hangs. */
  hang?: boolean;
  delayMs?: number;
}

/** A handler answering `/ping`, `/api/v3/system/status` and `/api/v3/health` like Sonarr. */
export function fakeArrHandler(options: FakeArrOptions = {}): FakeHandler {
  const base = options.urlBase ?? "";
  return (req) => {
    if (options.hang) return { hang: true };
    const delayMs = options.delayMs;
    if (!req.path.startsWith(`${base}/`)) return { status: 404, delayMs };
    const path = req.path.slice(base.length);
    if (path === "/ping") return { json: { status: "OK" }, delayMs };
    if (options.apiKey !== undefined && req.headers["x-api-key"] !== options.apiKey) return { status: 401, delayMs };
    if (path === "/api/v3/system/status") return { json: { appName: "Sonarr", version: options.version ?? "4.0.19.2979", urlBase: base }, delayMs };
    if (path === "/api/v3/health") return { json: (options.health ?? []).map((h, id) => ({ id, ...h })), delayMs };
    return { status: 404, delayMs };
  };
}

/** A fleet of fake Sonarr instances, some of which hang, with the services discovery would report. */
export interface FakeFleet {
  apps: FakeApp[];
  services: DiscoveredService[];
  /** `sonarr-N.media` -> the fake app's URL. */
  addressMap: Record<string, string>;
  close(): Promise<void>;
}

/** A discovered service as discovery reports a ready, single-replica workload. */
export function fakeService(name: string, appKind: AppKind, over: Partial<DiscoveredService> = {}): DiscoveredService {
  return {
    id: `media/${name}`,
    namespace: "media",
    name,
    workloadKind: "Deployment",
    appKind,
    kindSource: "image",
    displayName: name,
    images: [],
    service: { name, ports: [{ name: "http", port: 8989 }] },
    urlBase: "",
    inClusterUrl: `http://${name}.media.svc.cluster.local:8989`,
    ingressUrls: [],
    pvcs: [],
    kube: {
      desired: 1,
      ready: 1,
      available: 1,
      updated: 1,
      pods: [{ name: `${name}-0`, phase: "Running", ready: true, restarts: 0, restartsLastHour: 0, containers: [{ name, image: "linuxserver/sonarr", ready: true, restarts: 0, sidecar: false }] }],
      warnings: [],
      conditions: [],
    },
    ...over,
  };
}

/** Starts `count` fake Sonarr apps on loopback; the first `hanging` never answer. */
export async function startFakeFleet(options: { count: number; hanging: number; apiKey: string }): Promise<FakeFleet> {
  const apps = await Promise.all(
    Array.from({ length: options.count }, (_, i) => startFakeApp(fakeArrHandler({ apiKey: options.apiKey, hang: i < options.hanging, version: `4.0.${i}` }))),
  );
  const services = apps.map((_, i) => fakeService(`sonarr-${String(i).padStart(2, "0")}`, "sonarr"));
  const addressMap = Object.fromEntries(services.map((s, i) => [`${s.name}.media`, apps[i]?.url ?? ""]));
  return { apps, services, addressMap, close: async () => void (await Promise.all(apps.map((a) => a.close()))) };
}
