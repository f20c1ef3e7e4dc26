/**
 * Schedules: how often a backup is supposed to happen, from a CronJob's cron expression or an
 * app's own interval, and when the last good backup counts as stale (one interval plus two hours
 * of slack: 26 h for a daily schedule).
 */

const HOUR_MS = 3_600_000;

/** Slack after the interval before a backup counts as stale. */
export const STALE_SLACK_HOURS = 2;

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

const NAMES: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
  sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6,
};

/** A parsed cron expression: the allowed values of each field. */
export interface CronSpec {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Both day fields restricted: a day matches either (cron's rule). */
  dayOr: boolean;
}

function value(token: string, field: (typeof FIELDS)[number]): number {
  const named = NAMES[token.toLowerCase()];
  const n = named ?? (/^\d+$/.test(token) ? Number(token) : NaN);
  if (!Number.isInteger(n) || n < field.min || n > field.max) throw new Error(`${field.name}: "${token}" is not between ${field.min} and ${field.max}`);
  return n;
}

function parseField(text: string, field: (typeof FIELDS)[number]): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`${field.name}: bad step in "${part}"`);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      lo = field.min;
      hi = field.max;
      if (stepText === undefined) star = true;
    } else if (range?.includes("-")) {
      const [a, b] = range.split("-");
      lo = value(a ?? "", field);
      hi = value(b ?? "", field);
      if (hi < lo) throw new Error(`${field.name}: range "${range}" runs backwards`);
    } else {
      lo = value(range ?? "", field);
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(field.name === "day of week" && v === 7 ? 0 : v);
  }
  return { values, star };
}

/** Parses a standard five-field cron expression (or a macro such as `@daily`). Throws with the reason. */
export function parseCron(expression: string): CronSpec {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new Error(`"${expression}" has ${parts.length} fields, not 5`);
  const [m, h, d, mo, w] = parts.map((p, i) => parseField(p, FIELDS[i] as (typeof FIELDS)[number])) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  return { minutes: m.values, hours: h.values, days: d.values, months: mo.values, weekdays: w.values, dayOr: !d.star && !w.star };
}

function dayMatches(spec: CronSpec, date: Date): boolean {
  const dom = spec.days.has(date.getUTCDate());
  const dow = spec.weekdays.has(date.getUTCDay());
  return spec.months.has(date.getUTCMonth() + 1) && (spec.dayOr ? dom || dow : dom && dow);
}

/** Fire times of `spec` in [from, to) (UTC), at most `limit`. */
export function fireTimes(spec: CronSpec, from: number, to: number, limit = 10_000): number[] {
  const out: number[] = [];
  const day = new Date(from);
  day.setUTCHours(0, 0, 0, 0);
  const hours = [...spec.hours].sort((a, b) => a - b);
  const minutes = [...spec.minutes].sort((a, b) => a - b);
  for (let t = day.getTime(); t < to && out.length < limit; t += 24 * HOUR_MS) {
    if (!dayMatches(spec, new Date(t))) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const at = t + h * HOUR_MS + m * 60_000;
        if (at >= from && at < to) out.push(at);
      }
    }
  }
  return out;
}

const intervalCache = new Map<string, number | null>();

/**
 * The longest gap between two runs of a cron schedule, in hours (over a year, so monthly and
 * weekly schedules come out right); null for an expression that does not parse or never fires.
 */
export function cronIntervalHours(expression: string): number | null {
  const hit = intervalCache.get(expression);
  if (hit !== undefined) return hit;
  let result: number | null = null;
  try {
    const spec = parseCron(expression);
    const start = Date.UTC(2025, 0, 1);
    const times = fireTimes(spec, start, start + 400 * 24 * HOUR_MS, 600_000);
    if (times.length >= 2) {
      let max = 0;
      for (let i = 1; i < times.length; i++) max = Math.max(max, (times[i] as number) - (times[i - 1] as number));
      result = max / HOUR_MS;
    }
  } catch {
    result = null;
  }
  intervalCache.set(expression, result);
  return result;
}

/** Hours after which the last good backup of a schedule with this interval is stale. */
export function staleAfterHours(intervalHours: number): number {
  return intervalHours + STALE_SLACK_HOURS;
}

/** "daily", "weekly", "every 6 h", "every 3 days". */
export function describeInterval(hours: number): string {
  if (hours === 1) return "hourly";
  if (hours === 24) return "daily";
  if (hours === 168) return "weekly";
  if (hours < 24) return `every ${Math.round(hours * 10) / 10} h`;
  const days = Math.round((hours / 24) * 10) / 10;
  return `every ${days} days`;
}
