import "server-only";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { toAppError } from "@/lib/errors";
import { parseMarkdown, titleOf, type Block } from "@/lib/markdown";
import { RUNBOOK_SECTIONS, isRunbookId, runbookIdOfPath, type RunbookEntry, type RunbookOrigin } from "@/lib/runbooks";
import { getConfig } from "@/server/config/load";
import { getGitopsService, withDeadline } from "@/server/git";
import { logger } from "@/server/observability/logger";

/**
 * The runbooks the panel serves: the ones shipped in `docs/runbooks/` (part of the build, see
 * next.config.mjs), and the owner's from the GitOps repository (`alerts.runbooksPath`, read from
 * the default branch at most every `gitops.pollSeconds`), which replace a shipped one of the same id
 * or add new ones (a runbook for an alert of their own: `alerts/<kebab-case alert name>.md`).
 */

/** A runbook ready to render. */
export interface Runbook extends RunbookEntry {
  blocks: Block[];
}

interface Source {
  text: string;
  origin: RunbookOrigin;
  source: string;
}

const log = logger.child({ component: "runbooks" });
const holder = globalThis as typeof globalThis & {
  __panelShippedRunbooks?: Map<string, Source>;
  __panelRepoRunbooks?: { at: number; files: Map<string, Source>; error?: string; sha?: string };
};

/** The folder of the shipped runbooks (`PANEL_RUNBOOKS_DIR` overrides it, for tests). */
export function shippedRunbooksDir(): string {
  return process.env.PANEL_RUNBOOKS_DIR ?? path.join(process.cwd(), "docs", "runbooks");
}

/** The shipped runbooks, read once. */
export function shippedRunbooks(): Map<string, Source> {
  if (holder.__panelShippedRunbooks) return holder.__panelShippedRunbooks;
  const out = new Map<string, Source>();
  const dir = shippedRunbooksDir();
  for (const section of RUNBOOK_SECTIONS) {
    let names: string[] = [];
    try {
      // Copied beside the server by scripts/prepare-standalone.mjs: not traced into the build.
      names = readdirSync(path.join(/* turbopackIgnore: true */ dir, section));
    } catch (error) {
      log.error({ dir, err: (error as Error).message }, "the shipped runbooks cannot be read");
      continue;
    }
    for (const name of names.sort()) {
      const id = runbookIdOfPath(`${section}/${name}`);
      if (!id) continue;
      out.set(id, { text: readFileSync(path.join(/* turbopackIgnore: true */ dir, section, name), "utf8"), origin: "panel", source: `docs/runbooks/${section}/${name}` });
    }
  }
  holder.__panelShippedRunbooks = out;
  return out;
}

/** The owner's runbooks from the GitOps repository (cached); an error says why they could not be read. */
async function repositoryRunbooks(): Promise<{ files: Map<string, Source>; error?: string }> {
  const svc = getGitopsService();
  if (!svc) return { files: new Map() };
  const config = getConfig();
  const ttl = (config.gitops?.pollSeconds ?? 30) * 1000;
  const cached = holder.__panelRepoRunbooks;
  if (cached && Date.now() - cached.at < ttl) return cached;
  const folder = config.alerts.runbooksPath.replace(/^\.?\/+|\/+$/g, "");
  try {
    const files = await withDeadline(
      (async () => {
        await svc.repo.sync();
        const branch = config.gitops?.baseBranch ?? svc.repo.defaultBranch();
        const sha = await svc.repo.branchSha(branch);
        const out = new Map<string, Source>();
        if (!sha) return out;
        const view = await svc.repo.snapshot(sha);
        for (const p of view.paths) {
          if (!p.startsWith(`${folder}/`)) continue;
          const id = runbookIdOfPath(p.slice(folder.length + 1));
          const text = id ? view.read(p) : undefined;
          if (id && text !== undefined) out.set(id, { text, origin: "repository", source: `${p} (${branch})` });
        }
        return out;
      })(),
      8_000,
      "The GitOps repository did not answer in time; your own runbooks are not shown.",
    );
    holder.__panelRepoRunbooks = { at: Date.now(), files };
  } catch (error) {
    const message = toAppError(error).message;
    holder.__panelRepoRunbooks = { at: Date.now(), files: cached?.files ?? new Map(), error: message };
  }
  return holder.__panelRepoRunbooks;
}

/** Every runbook id known now (shipped, and the owner's as last read): cheap, for links. */
export function runbookIds(): Set<string> {
  return new Set([...shippedRunbooks().keys(), ...(holder.__panelRepoRunbooks?.files.keys() ?? [])]);
}

function entryOf(id: string, s: Source, shipped: boolean): RunbookEntry {
  return { id, title: titleOf(parseMarkdown(s.text)) ?? id, origin: s.origin, source: s.source, overrides: s.origin === "repository" && shipped };
}

/** The list for the runbook index, and why the owner's could not be read (if so). */
export async function listRunbooks(): Promise<{ entries: RunbookEntry[]; repositoryError?: string; repositoryPath: string | null }> {
  const shipped = shippedRunbooks();
  const repo = await repositoryRunbooks();
  const merged = new Map<string, RunbookEntry>();
  for (const [id, s] of shipped) merged.set(id, entryOf(id, s, false));
  for (const [id, s] of repo.files) merged.set(id, entryOf(id, s, shipped.has(id)));
  const config = getConfig();
  return {
    entries: [...merged.values()].sort((a, b) => a.id.localeCompare(b.id)),
    ...(repo.error ? { repositoryError: repo.error } : {}),
    repositoryPath: config.gitops ? config.alerts.runbooksPath : null,
  };
}

/** One runbook (the owner's over the shipped one), parsed; undefined when there is none. */
export async function getRunbook(id: string): Promise<(Runbook & { repositoryError?: string }) | undefined> {
  if (!isRunbookId(id)) return undefined;
  const shipped = shippedRunbooks();
  const repo = await repositoryRunbooks();
  const own = repo.files.get(id);
  const s = own ?? shipped.get(id);
  if (!s) return undefined;
  const blocks = parseMarkdown(s.text);
  return { ...entryOf(id, s, shipped.has(id)), blocks, ...(repo.error ? { repositoryError: repo.error } : {}) };
}
