import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';

/**
 * Container logs as a kubelet keeps them: one file per container attempt in the CRI logging
 * format, a line per entry, `<RFC 3339 time with nanoseconds> <stdout|stderr> <F|P> <text>`
 * (F: the entry ends a line, P: a part of a longer line). {@link readLog} serves what the
 * kubelet's `/containerLogs` endpoint serves: the text, with optional timestamps, `tailLines`,
 * `sinceTime`, `limitBytes`.
 */

/** Longest text of one entry; longer lines are split into partial entries, as runtimes do. */
const MAX_ENTRY = 16 * 1024;

/** RFC 3339 with nanoseconds, as CRI log lines carry it. */
export function criTimestamp(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Writes one container attempt's stdout and stderr into a CRI log file. */
export class ContainerLogWriter {
  private readonly fd: number;
  private readonly pending: Record<'stdout' | 'stderr', Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  private closed = false;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  private entry(stream: 'stdout' | 'stderr', tag: 'F' | 'P', text: Buffer): void {
    writeSync(this.fd, Buffer.concat([Buffer.from(`${criTimestamp()} ${stream} ${tag} `), text, Buffer.from('\n')]));
  }

  /** Appends output; complete lines become entries at once. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.closed) return;
    let buf = Buffer.concat([this.pending[stream], chunk]);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      let line = buf.subarray(0, nl);
      while (line.length > MAX_ENTRY) {
        this.entry(stream, 'P', line.subarray(0, MAX_ENTRY));
        line = line.subarray(MAX_ENTRY);
      }
      this.entry(stream, 'F', line);
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > MAX_ENTRY) {
      this.entry(stream, 'P', buf.subarray(0, MAX_ENTRY));
      buf = buf.subarray(MAX_ENTRY);
    }
    this.pending[stream] = Buffer.from(buf);
  }

  /** Writes what is left of unfinished lines (as partial entries) and closes the file. */
  close(): void {
    if (this.closed) return;
    for (const s of ['stdout', 'stderr'] as const) if (this.pending[s].length > 0) this.entry(s, 'P', this.pending[s]);
    this.closed = true;
    closeSync(this.fd);
  }
}

/** One parsed log entry. */
export interface LogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: Buffer;
}

/** Parses CRI log text (complete lines only; returns the bytes consumed). */
export function parseEntries(data: Buffer): { entries: LogEntry[]; consumed: number } {
  const entries: LogEntry[] = [];
  let pos = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) break;
    const line = data.subarray(pos, nl);
    pos = nl + 1;
    const s1 = line.indexOf(0x20);
    const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
    const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
    if (s3 < 0) continue;
    const stream = line.subarray(s1 + 1, s2).toString();
    if (stream !== 'stdout' && stream !== 'stderr') continue;
    entries.push({ time: line.subarray(0, s1).toString(), stream, partial: line.subarray(s2 + 1, s3).toString() === 'P', text: line.subarray(s3 + 1) });
  }
  return { entries, consumed: pos };
}

/** Options of a log read, as `PodLogOptions` names them. */
export interface LogReadOptions {
  tailLines?: number;
  limitBytes?: number;
  sinceTime?: Date;
  timestamps?: boolean;
}

/** Renders entries as the kubelet returns them. */
export function renderEntries(entries: LogEntry[], opts: { timestamps?: boolean }): Buffer {
  const parts: Buffer[] = [];
  let lineStart = true;
  for (const e of entries) {
    if (opts.timestamps && lineStart) parts.push(Buffer.from(`${e.time} `));
    parts.push(e.text);
    if (!e.partial) parts.push(Buffer.from('\n'));
    lineStart = !e.partial;
  }
  return Buffer.concat(parts);
}

/** Applies sinceTime and tailLines (counted in lines: partial entries belong to the next full one). */
export function selectEntries(entries: LogEntry[], opts: LogReadOptions): LogEntry[] {
  let list = opts.sinceTime ? entries.filter((e) => Date.parse(e.time) >= (opts.sinceTime as Date).getTime()) : entries;
  if (opts.tailLines !== undefined && opts.tailLines >= 0) {
    let lines = 0;
    let i = list.length;
    while (i > 0) {
      const e = list[i - 1] as LogEntry;
      if (!e.partial) {
        if (lines === opts.tailLines) break;
        lines++;
      }
      i--;
    }
    list = list.slice(i);
  }
  return list;
}

/** The text of a whole log file after the options. */
export function readLog(file: string, opts: LogReadOptions = {}): Buffer {
  if (!existsSync(file)) return Buffer.alloc(0);
  const { entries } = parseEntries(readFileSync(file));
  const out = renderEntries(selectEntries(entries, opts), opts);
  return opts.limitBytes !== undefined && opts.limitBytes >= 0 ? out.subarray(0, opts.limitBytes) : out;
}

/**
 * Follows a log: sends what the file holds (after the options), then what is appended, until
 * `finished()` is true and the file has no more, or `aborted()`. Resolves when done.
 */
export async function followLog(
  file: string,
  opts: LogReadOptions,
  send: (chunk: Buffer) => boolean | void,
  finished: () => boolean,
  aborted: () => boolean,
  intervalMs = 200,
): Promise<void> {
  let offset = 0;
  let remaining = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  let first = true;
  const emit = (buf: Buffer) => {
    if (buf.length === 0 || remaining <= 0) return;
    const part = buf.subarray(0, Math.min(buf.length, remaining));
    remaining -= part.length;
    send(part);
  };
  for (;;) {
    const done = finished();
    if (existsSync(file)) {
      const size = statSync(file).size;
      if (size > offset) {
        const fd = openSync(file, 'r');
        const buf = Buffer.alloc(size - offset);
        try {
          readSync(fd, buf, 0, buf.length, offset);
        } finally {
          closeSync(fd);
        }
        const { entries, consumed } = parseEntries(buf);
        offset += consumed;
        emit(renderEntries(first ? selectEntries(entries, opts) : entries, opts));
        first = false;
      } else if (first) first = false;
    }
    if (done || aborted() || remaining <= 0) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
