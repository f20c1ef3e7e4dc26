/**
 * The standalone panel the benchmarks measure: started with a configuration of the bench's own (in a
 * temporary folder), the production V8 limits unless BENCH_NODE_OPTIONS says otherwise, and an admin
 * whose password only the bench knows; plus signing in and percentiles.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, scryptSync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const SERVER = process.env.BENCH_SERVER ?? path.join(ROOT, ".next", "standalone", "server.js");
/** The admin's password of a bench panel (a throw-away panel on 127.0.0.1). */
export const BENCH_PASSWORD = "bench-password-123";

/**
 * Writes `config` to `<dir>/config.yaml`, starts the built panel on 127.0.0.1:`port` with its data in
 * `<dir>/data`, and resolves once `/api/healthz` answers (rejects after `startTimeoutMs`).
 */
export async function startBenchPanel(opts: { port: number; dir: string; config: unknown; env?: Record<string, string>; startTimeoutMs?: number }): Promise<ChildProcess> {
  writeFileSync(path.join(opts.dir, "config.yaml"), stringify(opts.config));
  const salt = randomBytes(16);
  const hash = `scrypt$16384$8$1$${salt.toString("base64")}$${scryptSync(BENCH_PASSWORD, salt, 32).toString("base64")}`;
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      PORT: String(opts.port),
      HOSTNAME: "127.0.0.1",
      NEXT_TELEMETRY_DISABLED: "1",
      PANEL_CONFIG: path.join(opts.dir, "config.yaml"),
      PANEL_DATA_DIR: path.join(opts.dir, "data"),
      PANEL_ADMIN_PASSWORD_HASH: hash,
      AUTH_SECRET: randomBytes(33).toString("base64"),
      PANEL_LOG_LEVEL: "warn",
      // The production limits (Dockerfile, scripts/start-standalone.mjs) unless told otherwise.
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? "--max-old-space-size=192 --max-semi-space-size=4",
      ...opts.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await fetch(`http://127.0.0.1:${opts.port}/api/healthz`).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`the panel did not start within ${timeoutMs / 1000} s`);
}

/** Signs in as the bench's admin through Auth.js's credentials endpoint; returns the cookie header. */
export async function benchSignIn(base: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const response = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar },
    body: new URLSearchParams({ username: "admin", password: BENCH_PASSWORD, csrfToken, callbackUrl: "/" }),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
  if (!session) throw new Error("sign-in failed");
  return `${jar}; ${session.split(";")[0]}`;
}

/** The running lab's lab.json (`$LAB_DIR` or `.lab`); exits with a clear line when the lab is not up. */
export function readBenchLab<T>(): T {
  const file = path.join(process.env.LAB_DIR ?? path.join(ROOT, ".lab"), "lab.json");
  if (!existsSync(file)) {
    console.error("The lab is not up: run `npm run lab -- up` first.");
    process.exit(1);
  }
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The value at percentile `p` (0–100) of ascending `sorted` values; 0 for none. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
