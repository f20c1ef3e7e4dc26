/**
 * The shape of the code, checked on the tree itself so a new file is covered the moment it is
 * added: server code is server-only; the panel's code never imports the lab, the browser tests or
 * the tools; `server/` and `lib/` have no import cycles; pages never reach the database; the app
 * kinds are named only by the app catalogue, the app modules and the places listed below with
 * their reason.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_APP_KINDS } from "@/lib/apps/catalogue";
import { findCycles, importGraph, importSpecifiers, isTestFile, resolveImport, sourceFilesUnder, type ImportGraph } from "./import-graph";

const root = path.resolve(__dirname, "..");
const rel = (f: string) => path.relative(root, f);
const code = (dir: string) => sourceFilesUnder(path.join(root, dir)).filter((f) => !isTestFile(f));

describe("the import graph check", () => {
  it("reads every form of import, type-only and dynamic ones included", () => {
    const text = [
      'import "server-only";',
      'import type { A } from "./a";',
      "import {\n  b,\n  type C,\n} from '@/lib/b';",
      'export { d } from "../d";',
      'export * from "./e";',
      'const f = await import("./f");',
      'const s = "import x from \\"./not-an-import\\"";',
    ].join("\n");
    expect(importSpecifiers(text)).toEqual(["server-only", "./a", "@/lib/b", "../d", "./e", "./f"]);
    expect(resolveImport(root, path.join(root, "server/apps/registry.ts"), "./define")).toBe(path.join(root, "server/apps/define.ts"));
    expect(resolveImport(root, path.join(root, "server/x.ts"), "@/server/k8s")).toBe(path.join(root, "server/k8s/index.ts"));
    expect(resolveImport(root, path.join(root, "server/x.ts"), "zod")).toBeUndefined();
  });

  it("finds cycles, direct and long, and nothing in a tree", () => {
    const g: ImportGraph = new Map([
      ["a", ["b"]],
      ["b", ["c", "outside"]],
      ["c", ["a"]],
      ["d", ["d"]],
      ["e", ["a"]],
      ["f", []],
    ]);
    expect(findCycles(g).sort()).toEqual([["a", "b", "c"], ["d"]]);
    expect(findCycles(new Map([["x", ["y"]], ["y", []]]))).toEqual([]);
  });
});

describe("server code", () => {
  const files = code("server");

  it("every file imports server-only", () => {
    expect(files.length).toBeGreaterThan(50);
    const missing = files.filter((f) => !importSpecifiers(readFileSync(f, "utf8")).includes("server-only")).map(rel);
    expect(missing).toEqual([]);
  });

  it("no import cycles in server/ and lib/ (type-only imports included)", () => {
    const graph = importGraph(root, [...files, ...code("lib")]);
    expect(graph.size).toBeGreaterThan(100);
    expect(findCycles(graph).map((c) => c.map(rel))).toEqual([]);
  });
});

describe("boundaries", () => {
  const panel = ["server", "lib", "components", "app"].flatMap(code);
  const imports = importGraph(root, panel);
  const under = (f: string, dir: string) => rel(f).startsWith(`${dir}/`);

  it("the panel's code never imports the lab, the browser tests or the tools (only tests and scripts do)", () => {
    const bad = [...imports].flatMap(([f, targets]) => targets.filter((t) => ["lab", "e2e", "scripts", "test"].some((d) => under(t, d))).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(bad).toEqual([]);
  });

  it("lib/ and components/ never import server/; lib/ never imports components/", () => {
    const bad = [...imports].flatMap(([f, targets]) =>
      targets
        .filter((t) => ((under(f, "lib") || under(f, "components")) && under(t, "server")) || (under(f, "lib") && under(t, "components")))
        .map((t) => `${rel(f)} -> ${rel(t)}`),
    );
    expect(bad).toEqual([]);
  });

  it("pages, layouts and route handlers never reach the database: they ask server services", () => {
    const bad = [...imports].filter(([f]) => under(f, "app")).flatMap(([f, targets]) => targets.filter((t) => under(t, "server/db")).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(bad).toEqual([]);
  });

  it("Kubernetes is reached one way: only server/k8s/ uses client-node, and only for credentials (KubeConfig); requests go through server/k8s/rest.ts", () => {
    const users = ["server", "lib", "components", "app"]
      .flatMap(code)
      .filter((f) => importSpecifiers(readFileSync(f, "utf8")).includes("@kubernetes/client-node"));
    expect(users.filter((f) => !under(f, "server/k8s")).map(rel)).toEqual([]);
    const clientNodeApis = users.filter((f) => /\b[A-Z]\w*Api\b|\bWatch\b|makeApiClient/.test(readFileSync(f, "utf8"))).map(rel);
    expect(clientNodeApis).toEqual([]);
  });

  it("the app modules never import the integrations engine (the engine depends on the apps)", () => {
    const bad = [...imports].filter(([f]) => under(f, "server/apps")).flatMap(([f, targets]) => targets.filter((t) => under(t, "server/integrations")).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(bad).toEqual([]);
  });
});

/**
 * Files outside the catalogue and the app modules that name an app kind, and why. Anything else
 * naming one (`kind === "qbittorrent"`, a table keyed by app ids) belongs in the catalogue or in
 * the app's module.
 */
const NAMES_APP_KINDS: Record<string, string> = {
  "lib/gitops/plans/unpackerr.ts": "the Git change that wires Unpackerr (no API, no module) to Sonarr and Radarr",
  "server/git/service.ts": "the Git changes offered (Unpackerr's wiring, the Prometheus scrape); `argocd` as where a base branch comes from",
  "server/health/overview.ts": "a service's link to its Argo CD Application goes to the Argo CD server",
  "lib/gitops/pr-body.ts": "`argocd` as where a pull request's base branch comes from (the Applications' targetRevision), not the app",
  "components/changes/change-list.tsx": "`argocd` as where a pull request's base branch comes from, not the app",
  "components/changes/change-proposer.tsx": "`argocd` as where a pull request's base branch comes from, not the app",
  "app/api/services/[namespace]/[name]/logs/route.ts": "`loki` as a source of log lines (the Kubernetes API or Loki's query API), not the app",
  "components/logs/service-logs.tsx": "`loki` as a source of log lines (the Kubernetes API or Loki's query API), not the app",
  "server/logs/service.ts": "`loki` as a source of log lines and the state of that source, not the app",
  "lib/metrics/charts.ts": "`prometheus`: whether the Prometheus the charts read is reachable, not the app",
  "server/metrics/charts.ts": "`prometheus`: whether the Prometheus the charts read is reachable, not the app",
  "components/alerts/alerts-live.tsx": "`prometheus` as the source of an alert (the panel, Prometheus, Alertmanager), not the app",
  "lib/alerts/view.ts": "`prometheus` as the source of an alert, not the app",
  "server/alerts/service.ts": "the Prometheus and Alertmanager APIs the Alerts page reads, configured under `alerts:`",
  "server/alerts/start.ts": "whether the Prometheus and Alertmanager APIs are configured, in the start-up log",
  "lib/config-schema.ts": "`observability.logs.loki*` and `observability.prometheus` settings (where the panel reads logs and metrics); `ntfy` as a type of notification target, not the app",
  "server/notify/targets.ts": "`ntfy` as a type of notification target, not the app",
};

describe("app kinds", () => {
  it("are compared with, switched on or used as table keys only by the catalogue, the app modules and the listed places", () => {
    const kinds = KNOWN_APP_KINDS.join("|");
    // `=== "sonarr"`, `"sonarr" !==`, `case "sonarr"`, `{ sonarr: ... }`, `["sonarr", ...]` of a table.
    const literal = new RegExp(`(===|!==)\\s*["'](${kinds})["']|["'](${kinds})["']\\s*(===|!==)|case\\s+["'](${kinds})["']|[{,]\\s*(${kinds})\\s*:|\\[\\s*["'](${kinds})["']\\s*,`);
    const files = ["server", "lib", "components", "app"]
      .flatMap(code)
      .filter((f) => !rel(f).startsWith("server/apps/") && !rel(f).startsWith("lib/apps/"));
    const naming = files.filter((f) => literal.test(readFileSync(f, "utf8"))).map(rel);
    expect(naming.sort()).toEqual(Object.keys(NAMES_APP_KINDS).sort());
  });
});
