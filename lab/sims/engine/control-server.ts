/**
 * The control endpoint of a simulator host (its own 127.0.0.1 port):
 *
 *   GET    /__control                  every simulator: id, kind, url, up, version
 *   GET    /__control/<app>            one simulator: faults, pushed health, counters, state summary
 *   POST   /__control/<app>            a {@link ControlCommand} (down, up, slow, error500, malformed,
 *                                      version, pushHealth, clearHealth, clearFaults, reset, set)
 *   GET    /__control/<app>/violations responses that did not match the spec
 *   DELETE /__control/<app>/violations forget them
 *   POST   /__control/reset            reset every simulator
 *   GET    /metrics                    Prometheus text: requests per app and status, up, violations
 *   GET    /metrics/<app>              the same for one simulator
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import type { RunningSim } from "./sim-app";

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    req.on("error", reject);
  });
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Prometheus exposition of the simulators' counters. */
export function metricsText(sims: RunningSim[]): string {
  const lines: string[] = [
    "# HELP lab_simulator_up 1 when the simulator accepts connections and is not answering 503.",
    "# TYPE lab_simulator_up gauge",
  ];
  for (const s of sims) {
    const snap = s.snapshot();
    lines.push(`lab_simulator_up{app="${esc(s.id)}",kind="${esc(s.kind)}"} ${snap.up === true ? 1 : 0}`);
  }
  lines.push("# HELP lab_simulator_requests_total Requests answered, by status code.", "# TYPE lab_simulator_requests_total counter");
  for (const s of sims) {
    for (const [status, n] of Object.entries(s.counters().byStatus)) {
      lines.push(`lab_simulator_requests_total{app="${esc(s.id)}",kind="${esc(s.kind)}",status="${esc(status)}"} ${n}`);
    }
  }
  lines.push(
    "# HELP lab_simulator_requests_rejected_total Requests refused before a handler ran (auth, spec, URL base).",
    "# TYPE lab_simulator_requests_rejected_total counter",
  );
  for (const s of sims) lines.push(`lab_simulator_requests_rejected_total{app="${esc(s.id)}",kind="${esc(s.kind)}"} ${s.counters().rejected}`);
  lines.push("# HELP lab_simulator_spec_violations_total Responses that did not match the spec.", "# TYPE lab_simulator_spec_violations_total counter");
  for (const s of sims) lines.push(`lab_simulator_spec_violations_total{app="${esc(s.id)}",kind="${esc(s.kind)}"} ${s.violations().length}`);
  return `${lines.join("\n")}\n`;
}

/** Starts the control server; resolves with the bound port. */
export async function startControlServer(sims: Map<string, RunningSim>, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://control.local");
    const method = req.method ?? "GET";
    const metricsMatch = /^\/metrics(?:\/([^/]+))?$/.exec(url.pathname);
    if (metricsMatch !== null && method === "GET") {
      const only = metricsMatch[1] !== undefined ? sims.get(decodeURIComponent(metricsMatch[1])) : undefined;
      if (metricsMatch[1] !== undefined && only === undefined) {
        send(res, 404, { error: `no simulator ${metricsMatch[1]}` });
        return;
      }
      const text = metricsText(only !== undefined ? [only] : [...sims.values()]);
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(text);
      return;
    }
    if (url.pathname === "/__control" && method === "GET") {
      send(res, 200, {
        apps: [...sims.values()].map((s) => ({ id: s.id, kind: s.kind, url: s.url(), urlBase: s.urlBase, up: s.snapshot().up, version: s.version() })),
      });
      return;
    }
    if (url.pathname === "/__control/reset" && method === "POST") {
      for (const s of sims.values()) await s.control({ action: "reset" });
      send(res, 200, { reset: [...sims.keys()] });
      return;
    }
    const m = /^\/__control\/([^/]+)(\/violations)?$/.exec(url.pathname);
    const sim = m?.[1] !== undefined ? sims.get(decodeURIComponent(m[1])) : undefined;
    if (m === null || sim === undefined) {
      send(res, 404, { error: `no simulator at ${url.pathname}`, apps: [...sims.keys()] });
      return;
    }
    if (m[2] !== undefined) {
      if (method === "GET") send(res, 200, { violations: sim.violations() });
      else if (method === "DELETE") {
        sim.clearViolations();
        send(res, 200, { violations: [] });
      } else send(res, 405, { error: "GET or DELETE" });
      return;
    }
    if (method === "GET") {
      send(res, 200, sim.snapshot());
      return;
    }
    if (method !== "POST") {
      send(res, 405, { error: "GET or POST" });
      return;
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      send(res, 400, { error: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    try {
      const error = await sim.control(body as Parameters<RunningSim["control"]>[0]);
      if (error !== undefined) {
        send(res, 400, { error });
        return;
      }
    } catch (err) {
      if (err instanceof z.ZodError) {
        send(res, 400, { error: "invalid control command", issues: err.issues });
        return;
      }
      throw err;
    }
    send(res, 200, sim.snapshot());
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr !== null ? addr.port : port };
}
