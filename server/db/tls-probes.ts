import "server-only";
import type { Statement } from "better-sqlite3";
import type { CertState, HostHistoryPoint, HttpsCheck, TlsProbe } from "@/lib/certs/types";
import type { PanelDb } from "./open";

/**
 * The TLS probe history: every probe of a host (its verdict, serial and end of validity, and the
 * whole probe as JSON) and every HTTPS-only check, kept `certificates.historyDays`. The latest rows
 * are read back at start, so the Certificates page shows the last results before the first sweep.
 */

/** A probe as stored: the probe and the verdict the prober gave it. */
export interface TlsProbeRecord {
  probe: TlsProbe;
  state: CertState;
  summary: string;
}

interface Writers {
  probe: Statement;
  check: Statement;
}

const writers = new WeakMap<PanelDb, Writers>();

function writersOf(db: PanelDb): Writers {
  let w = writers.get(db);
  if (!w) {
    w = {
      probe: db.$client.prepare(
        "INSERT INTO tls_probes (host, at, state, summary, serial, not_after, probe) VALUES (@host, @at, @state, @summary, @serial, @notAfter, @probe)",
      ),
      check: db.$client.prepare(
        "INSERT INTO https_checks (ingress, host, at, http_status, https_status, hsts, check_json) VALUES (@ingress, @host, @at, @httpStatus, @httpsStatus, @hsts, @check)",
      ),
    };
    writers.set(db, w);
  }
  return w;
}

/** Writes one sweep's probes and checks in one transaction. */
export function recordTlsSweep(db: PanelDb, probes: readonly TlsProbeRecord[], checks: readonly HttpsCheck[]): void {
  if (probes.length === 0 && checks.length === 0) return;
  const w = writersOf(db);
  db.$client.transaction(() => {
    for (const r of probes) {
      w.probe.run({
        host: r.probe.host,
        at: r.probe.at,
        state: r.state,
        summary: r.summary,
        serial: r.probe.certificate?.serial ?? null,
        notAfter: r.probe.certificate?.notAfter ?? null,
        probe: JSON.stringify(r.probe),
      });
    }
    for (const c of checks) {
      w.check.run({
        ingress: c.ingress,
        host: c.host,
        at: c.at,
        httpStatus: c.http.status ?? null,
        httpsStatus: c.https.status ?? null,
        hsts: c.https.hsts ?? null,
        check: JSON.stringify(c),
      });
    }
  })();
}

function parse<T>(json: string): T | undefined {
  try {
    return JSON.parse(json) as T;
  } catch {
    return undefined;
  }
}

/** The latest probe of every host and the latest check of every Ingress host. */
export function latestTlsResults(db: PanelDb): { probes: TlsProbe[]; checks: HttpsCheck[] } {
  const probeRows = db.$client
    .prepare("SELECT t.probe AS probe FROM tls_probes t JOIN (SELECT host, max(at) AS at FROM tls_probes GROUP BY host) m ON t.host = m.host AND t.at = m.at")
    .all() as Array<{ probe: string }>;
  const checkRows = db.$client
    .prepare(
      "SELECT c.check_json AS json FROM https_checks c JOIN (SELECT ingress, host, max(at) AS at FROM https_checks GROUP BY ingress, host) m ON c.ingress = m.ingress AND c.host = m.host AND c.at = m.at",
    )
    .all() as Array<{ json: string }>;
  return {
    probes: probeRows.map((r) => parse<TlsProbe>(r.probe)).filter((p): p is TlsProbe => p !== undefined),
    checks: checkRows.map((r) => parse<HttpsCheck>(r.json)).filter((c): c is HttpsCheck => c !== undefined),
  };
}

/**
 * The history of every host since `since`, newest first: one point per change of verdict or
 * certificate (a run of identical probes is one point, dated by its newest), at most `limit` per host.
 */
export function tlsHistory(db: PanelDb, since: number, limit = 20): Map<string, HostHistoryPoint[]> {
  const rows = db.$client
    .prepare("SELECT host, at, state, summary, serial, not_after AS notAfter FROM tls_probes WHERE at >= ? ORDER BY host, at DESC")
    .all(since) as Array<{ host: string; at: number; state: CertState; summary: string; serial: string | null; notAfter: string | null }>;
  const out = new Map<string, HostHistoryPoint[]>();
  for (const r of rows) {
    const list = out.get(r.host) ?? [];
    const last = list.at(-1);
    // Rows come newest first: an older probe identical to the point after it only extends that run.
    if (last && last.state === r.state && last.serial === (r.serial ?? undefined) && last.summary === r.summary) continue;
    if (list.length >= limit) continue;
    list.push({ at: r.at, state: r.state, summary: r.summary, ...(r.serial ? { serial: r.serial } : {}), ...(r.notAfter ? { notAfter: r.notAfter } : {}) });
    out.set(r.host, list);
  }
  return out;
}

/** Deletes probes and checks older than `days`. Returns how many rows went. */
export function pruneTlsHistory(db: PanelDb, now: number, days: number): number {
  const cutoff = now - days * 86_400_000;
  const a = db.$client.prepare("DELETE FROM tls_probes WHERE at < ?").run(cutoff).changes;
  const b = db.$client.prepare("DELETE FROM https_checks WHERE at < ?").run(cutoff).changes;
  return a + b;
}
