/**
 * Static checks of the Dockerfile (no Docker engine needed): multi-stage with the native addon built
 * on the runtime's own base image, a runtime stage that holds only the standalone server and runs as
 * a non-root UID, a HEALTHCHECK on /api/healthz without curl, no secrets in the image or its build
 * context, and agreement with next.config.mjs and deploy/deployment.yaml.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { isJsonObject, objectList, readManifests } from "./kustomize-render";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** One Dockerfile instruction with its line continuations joined. */
interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** One build stage: its FROM and the instructions after it. */
interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions: comments and parser directives dropped, `\` lines joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split("\n").forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#") || (trimmed === "" && !pending)) return;
    const continued = trimmed.endsWith("\\");
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { line: pending.line, text: `${pending.text} ${part}` } : { line: index + 1, text: part };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
    if (match) out.push({ line: pending.line, keyword: (match[1] ?? "").toUpperCase(), args: (match[2] ?? "").trim() });
    pending = undefined;
  });
  if (pending) throw new Error(`Dockerfile line ${pending.line}: continuation never ends`);
  return out;
}

/** Groups instructions into stages, resolving `${ARG}` in FROM from the global ARG defaults. */
function splitStages(instructions: Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!match) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
      const base = (match[1] ?? "").replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => globalArgs.get(a ?? b) ?? "");
      stages.push({ name: match[2], base, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== "ARG") throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [name, value] = ins.args.split("=", 2);
      globalArgs.set((name ?? "").trim(), (value ?? "").trim());
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** The arguments of an exec-form (JSON array) instruction, or null for the shell form. */
function execForm(args: string): string[] | null {
  if (!args.startsWith("[")) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === "string")) return null;
  return parsed;
}

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const instructions = parseDockerfile(dockerfile);
const stages = splitStages(instructions);
const runtime = stages.at(-1) as Stage;
const buildStages = stages.slice(0, -1);
const runIn = (stage: Stage): string => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).join("\n");
const lastOf = (stage: Stage, keyword: string): Instruction | undefined =>
  stage.instructions.filter((i) => i.keyword === keyword).at(-1);

describe("Dockerfile", () => {
  it("parses into named stages: dependencies, build, runtime", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const stage of stages) expect(stage.name, `stage FROM ${stage.base} is named`).toBeTruthy();
    expect(runtime.name).toBe("runtime");
  });

  it("runs a supported Node LTS on Debian bookworm slim, pinned by digest, the same image in every stage", () => {
    const pin = /^node:(\d+)-bookworm-slim@sha256:[0-9a-f]{64}$/.exec(runtime.base);
    expect(pin, `${runtime.base} is node:<major>-bookworm-slim@sha256:<digest>`).not.toBeNull();
    const major = Number(pin?.[1]);
    expect([22, 24], "Node 22 or 24 (LTS; Node 20 has reached its end of life)").toContain(major);
    for (const stage of buildStages) expect(stage.base, `${stage.name} uses the same base`).toBe(runtime.base);
    // What must run on that major: the panel itself, Next.js and the better-sqlite3 addon.
    const satisfies = (range: string) =>
      range.split("||").some((part) => {
        const p = part.trim();
        const x = /^(\d+)\.x$/.exec(p);
        if (x) return Number(x[1]) === major;
        const ge = /^>=\s*(\d+)(?:\.\d+)*(?:\s*<\s*(\d+))?$/.exec(p);
        return ge !== null && major >= Number(ge[1]) && (ge[2] === undefined || major < Number(ge[2]));
      });
    const engines = (file: string) => (JSON.parse(readFileSync(join(REPO_ROOT, file), "utf8")) as { engines?: { node?: string } }).engines?.node ?? "";
    for (const file of ["package.json", "node_modules/next/package.json", "node_modules/better-sqlite3/package.json"]) {
      expect(satisfies(engines(file)), `${file} engines "${engines(file)}" admit Node ${major}`).toBe(true);
    }
  });

  it("installs dependencies without running their install scripts, then builds better-sqlite3 from source and loads it", () => {
    const install = buildStages.find((s) => /npm ci\b/.test(runIn(s)));
    expect(install, "a build stage runs npm ci from the lockfile").toBeDefined();
    const run = runIn(install as Stage);
    expect(run).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    const ci = /npm ci\b[^&\n]*/.exec(run)?.[0] ?? "";
    expect(ci, "npm ci runs no install script").toContain("--ignore-scripts");
    expect(run, "better-sqlite3 is compiled with node-gyp (its build-release script), not downloaded").toMatch(
      /cd node_modules\/better-sqlite3\s+&&\s+npm_config_nodedir=\/usr\/local npm run build-release/,
    );
    expect(run.indexOf("build-release"), "after the install").toBeGreaterThan(run.indexOf("npm ci"));
    expect(run, "and loaded once").toMatch(/node -e "require\('better-sqlite3'\)/);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "better-sqlite3", "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["build-release"]).toBe("node-gyp rebuild --release");
    expect(buildStages.some((s) => /npm run build(?![-\w])/.test(runIn(s))), "a build stage runs npm run build").toBe(true);
  });

  it("keeps compilers, npm installs and source out of the runtime stage", () => {
    const run = runIn(runtime);
    for (const tool of ["g++", "make", "python3", "build-essential", "curl", "wget"]) {
      expect(run, `runtime installs no ${tool}`).not.toMatch(new RegExp(`(^|\\s)${tool.replace(/\+/g, "\\+")}(\\s|$)`, "m"));
    }
    expect(run).not.toMatch(/\bnpm (ci|install|i)\b/);
    const copies = runtime.instructions.filter((i) => i.keyword === "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy.args, `runtime copies only from a build stage: ${copy.args}`).toMatch(/--from=\S+/);
  });

  it("copies the standalone server, its static assets and public/ where server.js expects them", () => {
    const workdir = lastOf(runtime, "WORKDIR")?.args;
    expect(workdir).toBe("/app");
    const copies = runtime.instructions
      .filter((i) => i.keyword === "COPY")
      .map((i) => i.args.replace(/--(from|chown|chmod|link)(=\S+)?\s+/g, "").trim());
    expect(copies).toEqual(
      expect.arrayContaining(["/src/.next/standalone ./", "/src/.next/static ./.next/static", "/src/public ./public"]),
    );
    const build = stages.find((s) => /npm run build(?![-\w])/.test(runIn(s)));
    for (const from of runtime.instructions.filter((i) => i.keyword === "COPY").map((i) => /--from=(\S+)/.exec(i.args)?.[1])) {
      expect(from, "copies come from the stage that ran the build").toBe(build?.name);
    }
    expect(lastOf(build as Stage, "WORKDIR")?.args).toBe("/src");
    expect(execForm(lastOf(runtime, "CMD")?.args ?? "")).toEqual(["node", "server.js"]);
  });

  it("agrees with next.config.mjs: standalone output, better-sqlite3 left external", async () => {
    const mod = (await import(pathToFileURL(join(REPO_ROOT, "next.config.mjs")).href)) as { default: unknown };
    const config = mod.default;
    expect(isJsonObject(config) && config.output).toBe("standalone");
    expect(isJsonObject(config) && config.serverExternalPackages).toContain("better-sqlite3");
  });

  it("runs as the non-root UID 10001, the one deploy/deployment.yaml enforces", () => {
    const user = lastOf(runtime, "USER")?.args ?? "";
    expect(user).toMatch(/^10001(:10001)?$/);
    expect(runIn(runtime)).toMatch(/useradd [^\n]*--uid 10001/);
    const [deployment] = readManifests(join(REPO_ROOT, "deploy", "deployment.yaml"));
    const pod = deployment?.spec;
    const runAsUser = isJsonObject(pod) && isJsonObject(pod.template) && isJsonObject(pod.template.spec)
      ? (pod.template.spec.securityContext as { runAsUser?: number } | undefined)?.runAsUser
      : undefined;
    expect(runAsUser).toBe(Number(user.split(":")[0]));
  });

  it("works on a read-only root filesystem: writes go to /data and /tmp", () => {
    const env = runtime.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args).join(" ");
    expect(env).toMatch(/\bPANEL_DATA_DIR=\/data\b/);
    expect(env).toMatch(/\bHOME=\/tmp\b/);
    expect(runIn(runtime)).toMatch(/chown 10001:10001 \/data/);
    expect(runIn(runtime), "Next.js' runtime cache points into /tmp").toMatch(/ln -s \/tmp \.next\/cache/);
    const [deployment] = readManifests(join(REPO_ROOT, "deploy", "deployment.yaml"));
    const mounts = objectList(
      (deployment?.spec as { template?: { spec?: { containers?: Array<{ volumeMounts?: unknown }> } } })?.template?.spec
        ?.containers?.[0]?.volumeMounts,
    ).map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(["/data", "/tmp"]));
  });

  it("listens on 0.0.0.0:3000 and checks its health with node on /api/healthz", () => {
    expect(lastOf(runtime, "EXPOSE")?.args).toBe("3000");
    const env = runtime.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args).join(" ");
    expect(env).toMatch(/\bPORT=3000\b/);
    expect(env).toMatch(/\bHOSTNAME=0\.0\.0\.0\b/);
    const healthcheck = lastOf(runtime, "HEALTHCHECK")?.args ?? "";
    const command = execForm(healthcheck.slice(healthcheck.indexOf("CMD") + 3).trim());
    expect(command?.[0]).toBe("node");
    expect(command?.join(" ")).toContain("/api/healthz");
    expect(healthcheck).not.toMatch(/\b(curl|wget)\b/);
    expect(healthcheck).toMatch(/--timeout=\d+s/);
  });

  it("labels the image with OCI metadata", () => {
    const labels = runtime.instructions.filter((i) => i.keyword === "LABEL").map((i) => i.args).join(" ");
    for (const key of ["title", "description", "licenses", "version", "revision", "created"]) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
  });

  it("bakes in no secrets", () => {
    for (const ins of instructions.filter((i) => ["ARG", "ENV", "LABEL"].includes(i.keyword))) {
      for (const match of ins.args.matchAll(/([A-Za-z_][\w.]*)=/g)) {
        expect(match[1], `line ${ins.line} sets no secret`).not.toMatch(/SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE|HASH/i);
      }
    }
    for (const copy of instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
      expect(copy.args, `line ${copy.line}`).not.toMatch(/\.env\b|\.pem\b|\.key\b|id_rsa|\.npmrc/);
    }
    expect(instructions.some((i) => i.keyword === "ADD"), "COPY, not ADD").toBe(false);
  });

  it("copies only files that exist into the dependency stage", () => {
    const install = buildStages.find((s) => /npm ci\b/.test(runIn(s))) as Stage;
    const sources = install.instructions
      .filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(["package.json", "package-lock.json"]);
    for (const file of sources) expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
  });
});

describe(".dockerignore", () => {
  const ignored = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("keeps secrets, local data, dependencies and build output out of the build context", () => {
    for (const entry of [".env", ".env.*", "*.pem", "*.key", ".data", ".lab", "node_modules", ".next", ".git"]) {
      expect(ignored, entry).toContain(entry);
    }
  });

  it("does not exclude what the build needs", () => {
    for (const needed of ["package.json", "package-lock.json", "app", "lib", "server", "components", "public", "next.config.mjs"]) {
      expect(ignored, needed).not.toContain(needed);
    }
    expect(ignored.some((e) => e.startsWith("!")), "no re-inclusions to reason about").toBe(false);
  });
});
