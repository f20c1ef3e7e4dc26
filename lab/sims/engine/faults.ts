/**
 * Fault injection: the control commands a test (or the demo) sends to one simulator, and the
 * fault state they produce. The same zod schema validates the control endpoint's input and
 * types the TypeScript client in `../control.ts`.
 */
import { z } from "zod";

/** Paths a fault applies to: a substring of the request path, or `re:<regex>`. */
const match = z
  .string()
  .min(1)
  .refine((v) => {
    if (!v.startsWith("re:")) return true;
    try {
      new RegExp(v.slice(3));
      return true;
    } catch {
      return false;
    }
  }, "not a valid regular expression after re:")
  .optional();

export const controlCommandSchema = z.discriminatedUnion("action", [
  /** Stop answering: `refused` closes the port (connection refused), `503` answers 503. */
  z.object({ action: z.literal("down"), mode: z.enum(["refused", "503"]).default("refused") }),
  /** Listen and answer again (keeps other faults). */
  z.object({ action: z.literal("up") }),
  /** Delay every answer (0 turns it off). */
  z.object({ action: z.literal("slow"), latencyMs: z.number().int().min(0).max(600_000), match }),
  /** Answer 500 in the app's own error shape. */
  z.object({ action: z.literal("error500"), enabled: z.boolean().default(true), match }),
  /** Send JSON bodies cut in half (`Content-Type` still says JSON). */
  z.object({ action: z.literal("malformed"), enabled: z.boolean().default(true), match }),
  /**
   * Pad JSON answers to `bytes` (default 50 MiB, 0 turns it off): still valid JSON, streamed in
   * chunks without a Content-Length, as a runaway or hostile app would send it.
   */
  z.object({ action: z.literal("hugeBody"), bytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(50 * 1024 * 1024), match }),
  /** Report another version (null restores the default). */
  z.object({ action: z.literal("version"), version: z.string().min(1).nullable() }),
  /** Add a health message the app reports as its own. */
  z.object({
    action: z.literal("pushHealth"),
    level: z.enum(["notice", "warning", "error"]).default("error"),
    message: z.string().min(1),
    source: z.string().optional(),
    wikiUrl: z.string().optional(),
  }),
  /** Remove pushed health messages. */
  z.object({ action: z.literal("clearHealth") }),
  /** Remove every fault (up, no latency, no 500, well-formed JSON, default version). */
  z.object({ action: z.literal("clearFaults") }),
  /** Back to the initial state: the volume emptied and seeded again, faults, health messages, counters. */
  z.object({ action: z.literal("reset") }),
  /** Refuse the next `count` restores (backup restore endpoints) with the app's own error; 0 disarms. */
  z.object({ action: z.literal("refuseRestore"), count: z.number().int().min(0).max(1000).default(1), message: z.string().min(1).optional() }),
  /** Stop the app as if its process exited: port closed, files released, state dropped. */
  z.object({ action: z.literal("stop") }),
  /** Start a stopped app: it loads its state from its volume, then listens on its port again. */
  z.object({ action: z.literal("start") }),
  /** Stop and start (what a pod restart or the app's own restart does). */
  z.object({ action: z.literal("restart") }),
  /** App-specific change of state (see each simulator, e.g. Gluetun `{"leak": true}`). */
  z.object({ action: z.literal("set"), patch: z.record(z.string(), z.unknown()) }),
]);

/** One control command (the body of `POST /__control/<app>`). */
export type ControlCommand = z.input<typeof controlCommandSchema>;

/** Active faults of one simulator. */
export interface FaultState {
  down: false | "refused" | "503";
  latencyMs: number;
  latencyMatch?: string;
  error500: boolean;
  error500Match?: string;
  malformed: boolean;
  malformedMatch?: string;
  /** Pad JSON answers to this many bytes (0: off). */
  hugeBodyBytes: number;
  hugeBodyMatch?: string;
  version: string | null;
  /** Restores still to refuse. */
  refuseRestore: number;
  /** Reason the refused restores give (each app words it in its own error shape). */
  refuseRestoreMessage?: string;
}

export function noFaults(): FaultState {
  return { down: false, latencyMs: 0, error500: false, malformed: false, hugeBodyBytes: 0, version: null, refuseRestore: 0 };
}

/** True when `path` matches a fault's `match` (absent = every path). */
export function pathMatches(path: string, pattern: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (pattern.startsWith("re:")) return new RegExp(pattern.slice(3)).test(path);
  return path.includes(pattern);
}

/** Cuts a JSON text so that it no longer parses. */
export function breakJson(text: string): string {
  if (text.length <= 2) return "{";
  return text.slice(0, Math.ceil(text.length / 2));
}
