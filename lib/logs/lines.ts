/**
 * Log lines as the service page shows them: parsed from what the Kubernetes API (`pods/log` with
 * `timestamps=true`) or Loki returns, with the level the line carries (when it carries one), the
 * known secrets masked, and the lines around the last restart marked. Framework-free: the server
 * builds these, the browser filters them.
 */

/** Levels, least to most severe. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Which run of a container a line comes from: the one running now, or the one before the last restart. */
export type LogRun = "current" | "previous";

/** One line of a container's log. */
export interface LogLine {
  /** RFC 3339 time the runtime (or Loki) recorded, when known. */
  time?: string;
  pod: string;
  container: string;
  run: LogRun;
  /** The text, with every known secret masked. */
  text: string;
  /** The level the line states, if it states one. */
  level?: LogLevel;
  /** True for the lines around the last restart (the end of the failed run, the start of the next). */
  highlight?: boolean;
}

const LEVEL_WORDS: Record<string, LogLevel> = {
  trace: "trace",
  trc: "trace",
  verbose: "trace",
  debug: "debug",
  dbg: "debug",
  info: "info",
  inf: "info",
  information: "info",
  notice: "info",
  normal: "info",
  warn: "warn",
  warning: "warn",
  wrn: "warn",
  error: "error",
  err: "error",
  eror: "error",
  fatal: "fatal",
  crit: "fatal",
  critical: "fatal",
  panic: "fatal",
  emerg: "fatal",
  alert: "fatal",
};

function word(w: string | undefined): LogLevel | undefined {
  return w === undefined ? undefined : LEVEL_WORDS[w.toLowerCase()];
}

/** qBittorrent's log file marks: `(N)` normal, `(I)` info, `(W)` warning, `(C)` critical. */
const QBT_MARKS: Record<string, LogLevel> = { N: "info", I: "info", W: "warn", C: "error" };
/** klog / glog prefixes: `I0102 15:04:05.000000`. */
const KLOG_MARKS: Record<string, LogLevel> = { I: "info", W: "warn", E: "error", F: "fatal" };

/**
 * The level a line states, from the formats the stack's apps write: JSON (`"level":"info"`),
 * logfmt (`level=warn`), the *arr apps (`[Info]`, `|Warn|`), .NET (`[12:00:00 INF]`), Python
 * (`- ERROR -`, `WARNING:`), qBittorrent (`(W) 2024-...`), klog (`E0102 ...`), or a leading
 * upper-case level word. Undefined when the line states none (a continuation, a stack frame).
 */
export function detectLevel(text: string): LogLevel | undefined {
  const head = text.slice(0, 400);
  const json = /"(?:level|lvl|severity|levelname|@l|log\.level)"\s*:\s*"([A-Za-z]+)"/.exec(head);
  if (json) return word(json[1]);
  const logfmt = /(?:^|\s)(?:level|lvl|severity)=["']?([A-Za-z]+)/i.exec(head);
  if (logfmt) return word(logfmt[1]);
  const bracket = /\[(Trace|Debug|Info|Warn|Warning|Error|Fatal|TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL|INF|WRN|ERR|DBG|FTL|TRC|VRB)\]/.exec(head);
  if (bracket) return word(bracket[1] === "FTL" ? "fatal" : bracket[1] === "VRB" ? "verbose" : bracket[1]);
  const dotnet = /\[\d{2}:\d{2}:\d{2}(?:\.\d+)? (VRB|DBG|INF|WRN|ERR|FTL)\]/.exec(head);
  if (dotnet) return word({ VRB: "trace", DBG: "debug", INF: "info", WRN: "warn", ERR: "error", FTL: "fatal" }[dotnet[1] as string]);
  const pipe = /\|(Trace|Debug|Info|Warn|Error|Fatal)\|/.exec(head);
  if (pipe) return word(pipe[1]);
  const qbt = /^\(([NIWC])\) \d{4}-\d{2}-\d{2}/.exec(head);
  if (qbt) return QBT_MARKS[qbt[1] as string];
  const klog = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}/.exec(head);
  if (klog) return KLOG_MARKS[klog[1] as string];
  const python = /(?:^|\s-\s|\s)(TRACE|DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|CRITICAL|FATAL|PANIC)(?::|\s-\s|\s|$)/.exec(head);
  if (python) return word(python[1]);
  return undefined;
}

/** True when `level` is at least `min` (an undefined level passes only when there is no minimum). */
export function levelAtLeast(level: LogLevel | undefined, min: LogLevel | undefined): boolean {
  if (!min) return true;
  if (!level) return false;
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (.*)$/;

/**
 * Splits `pods/log` text fetched with `timestamps=true` into lines (time, text). A line without a
 * timestamp (a log cut in the middle, `limitBytes`) keeps its text. The trailing empty line of the
 * text is dropped.
 */
export function splitTimestamped(text: string): Array<{ time?: string; text: string }> {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => {
    const m = RFC3339.exec(line.replace(/\r$/, ""));
    return m ? { time: m[1], text: m[2] ?? "" } : { text: line.replace(/\r$/, "") };
  });
}

/** Secrets shorter than this are not masked in logs (a short word would be blanked everywhere and give itself away). */
export const MIN_MASKED_SECRET_LENGTH = 6;
export const MASK = "••••••";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A masker for a set of secret values: each value (and its URL-encoded form) is replaced by
 * {@link MASK} wherever it appears in a line, inside a URL, a header or a longer string alike;
 * values shorter than {@link MIN_MASKED_SECRET_LENGTH} are masked only as whole tokens. Built once
 * per request, applied to every line.
 */
export function secretMasker(secrets: Iterable<string | undefined>): (text: string) => string {
  const long = new Set<string>();
  const short = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string") continue;
    const value = s.trim();
    if (value.length < 4) continue;
    for (const form of new Set([value, encodeURIComponent(value)])) (value.length >= MIN_MASKED_SECRET_LENGTH ? long : short).add(form);
  }
  const parts = [...long].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const anywhere = parts.length > 0 ? new RegExp(parts.join("|"), "g") : undefined;
  const tokens = [...short].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const whole = tokens.length > 0 ? new RegExp(`(?<![A-Za-z0-9_])(?:${tokens.join("|")})(?![A-Za-z0-9_])`, "g") : undefined;
  return (text: string) => {
    let out = text;
    if (anywhere) out = out.replace(anywhere, MASK);
    if (whole) out = out.replace(whole, MASK);
    return out;
  };
}

/** Lines before a restart that are marked: the end of the failed run is where its reason is. */
export const HIGHLIGHT_BEFORE_RESTART = 20;
/** Lines after a restart that are marked: the start of the next run, which often fails the same way. */
export const HIGHLIGHT_AFTER_RESTART = 5;

/**
 * Builds a container's lines from its previous run (before the last restart) and its current run,
 * in that order, masked, with levels, and with the last {@link HIGHLIGHT_BEFORE_RESTART} lines of
 * the previous run and the first {@link HIGHLIGHT_AFTER_RESTART} of the current one marked.
 */
export function containerLines(input: {
  pod: string;
  container: string;
  previous?: string;
  current?: string;
  mask: (text: string) => string;
}): LogLine[] {
  const build = (text: string | undefined, run: LogRun): LogLine[] =>
    text === undefined
      ? []
      : splitTimestamped(text).map((l) => {
          const masked = input.mask(l.text);
          const level = detectLevel(masked);
          return { ...(l.time ? { time: l.time } : {}), pod: input.pod, container: input.container, run, text: masked, ...(level ? { level } : {}) };
        });
  const previous = build(input.previous, "previous");
  const current = build(input.current, "current");
  if (input.previous !== undefined) {
    previous.slice(-HIGHLIGHT_BEFORE_RESTART).forEach((l) => (l.highlight = true));
    current.slice(0, HIGHLIGHT_AFTER_RESTART).forEach((l) => (l.highlight = true));
  }
  return [...previous, ...current];
}

/** What the person asked to see. */
export interface LogFilter {
  /** Text to find (case-insensitive); `/re/` is a regular expression. */
  query?: string;
  /** Lowest level shown; lines without a level are hidden when set. */
  minLevel?: LogLevel;
}

/** A predicate for a filter; an invalid regular expression is searched for as text. */
export function lineMatcher(filter: LogFilter): (line: Pick<LogLine, "text" | "level">) => boolean {
  const q = filter.query?.trim() ?? "";
  let test: (text: string) => boolean = () => true;
  if (q !== "") {
    const re = /^\/(.+)\/([a-z]*)$/.exec(q);
    let regex: RegExp | undefined;
    if (re) {
      try {
        regex = new RegExp(re[1] as string, (re[2] ?? "").includes("i") ? "i" : "");
      } catch {
        regex = undefined;
      }
    }
    const needle = q.toLowerCase();
    test = regex ? (t) => (regex as RegExp).test(t) : (t) => t.toLowerCase().includes(needle);
  }
  return (line) => levelAtLeast(line.level, filter.minLevel) && test(line.text);
}

/** True for a string naming a level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}
