import { z } from "zod";

/**
 * What the backup script (`./script.ts`) says in its log, read back by the panel through the API
 * server (`pods/log`): one `K8S_NAS_PANEL_RESULT` line per run, `K8S_NAS_PANEL_CHECK` lines of a
 * verification, `K8S_NAS_PANEL_PREVIEW` lines of a preview. Every line is validated; a line that
 * does not parse is ignored (the log is the pod's, anything may be in it).
 */

const resultSchema = z
  .object({
    action: z.string(),
    ok: z.boolean(),
    step: z.string().optional(),
    error: z.string().optional(),
    kind: z.string().optional(),
    archive: z.string().optional(),
    size: z.number().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    files: z.number().optional(),
    bytes: z.number().optional(),
    databases: z.array(z.string()).optional(),
    removed: z.number().optional(),
    createdAt: z.string().optional(),
    added: z.number().optional(),
    changed: z.number().optional(),
    unchanged: z.number().optional(),
    excluded: z.string().optional(),
    applied: z.boolean().optional(),
    rolledBack: z.boolean().optional(),
  })
  .loose();

const checkSchema = z.object({
  check: z.enum(["checksum", "listing", "files", "config", "sqlite"]),
  ok: z.boolean(),
  file: z.string().optional(),
  detail: z.string(),
});

const previewSchema = z.object({
  path: z.string(),
  change: z.enum(["added", "changed", "removed"]),
  size: z.number().nullable(),
  currentSize: z.number().nullable(),
});

/** The result line of one run of the script. */
export type ScriptResult = z.infer<typeof resultSchema>;
/** One check of a verification (`verify`). */
export type ScriptCheck = z.infer<typeof checkSchema>;
/** One file a restore would change (`preview`). */
export type PreviewEntry = z.infer<typeof previewSchema>;

/** Everything the script said in one log. */
export interface ScriptOutput {
  /** The last result line (undefined while the run goes on, or when it was killed). */
  result?: ScriptResult;
  checks: ScriptCheck[];
  preview: PreviewEntry[];
}

function parseLine<T>(line: string, marker: string, schema: z.ZodType<T>): T | undefined {
  const at = line.indexOf(marker);
  if (at < 0) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(line.slice(at + marker.length).trim()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the script's lines out of a pod log (timestamps or other text around them allowed). */
export function parseScriptOutput(log: string): ScriptOutput {
  const out: ScriptOutput = { checks: [], preview: [] };
  for (const line of log.split("\n")) {
    const result = parseLine(line, "K8S_NAS_PANEL_RESULT ", resultSchema);
    if (result) {
      out.result = result;
      continue;
    }
    const check = parseLine(line, "K8S_NAS_PANEL_CHECK ", checkSchema);
    if (check) {
      out.checks.push(check);
      continue;
    }
    const preview = parseLine(line, "K8S_NAS_PANEL_PREVIEW ", previewSchema);
    if (preview) out.preview.push(preview);
  }
  return out;
}
