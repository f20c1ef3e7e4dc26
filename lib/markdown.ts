/**
 * A small Markdown parser for runbooks: CommonMark's everyday blocks (ATX headings, paragraphs,
 * fenced code, block quotes, nested lists, thematic breaks) and GFM tables; inline code, strong,
 * emphasis, links and autolinks. It returns a tree of plain data that `components/markdown.tsx`
 * renders as React elements: nothing is ever inserted as HTML, so raw HTML in a runbook shows as
 * text and a script cannot run (the panel's CSP forbids inline scripts as well). Link targets are
 * resolved by the caller, which keeps only http(s) links and panel paths.
 */

export type Inline =
  | { t: "text"; v: string }
  | { t: "code"; v: string }
  | { t: "strong"; c: Inline[] }
  | { t: "em"; c: Inline[] }
  | { t: "link"; href: string; c: Inline[] };

export type Block =
  | { t: "heading"; level: 1 | 2 | 3 | 4 | 5 | 6; id: string; c: Inline[] }
  | { t: "paragraph"; c: Inline[] }
  | { t: "code"; lang: string; v: string }
  | { t: "quote"; c: Block[] }
  | { t: "list"; ordered: boolean; start: number; items: Block[][] }
  | { t: "hr" }
  | { t: "table"; align: Array<"left" | "center" | "right" | null>; head: Inline[][]; rows: Inline[][][] };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const HR = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])( +|$)(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** A URL-fragment id for a heading ("Check the pods" -> "check-the-pods"). */
export function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .trim()
    .replace(/\s+/g, "-");
}

function plainText(inlines: readonly Inline[]): string {
  return inlines.map((i) => (i.t === "text" || i.t === "code" ? i.v : plainText(i.c))).join("");
}

/** Text of a tree (headings' ids, titles). */
export function inlineText(inlines: readonly Inline[]): string {
  return plainText(inlines);
}

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === "";
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = "";
  let inCode = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "\\" && s[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (c === "`") {
      inCode = !inCode;
      cur += c;
    } else if (c === "|" && !inCode) {
      cells.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

/** Parses Markdown text into blocks. Never throws. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  const usedIds = new Map<string, number>();
  return parseLines(lines, usedIds);
}

function parseLines(lines: string[], usedIds: Map<string, number>): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] as string;
      const indent = line.length - line.trimStart().length;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i] as string;
        const close = l.trim();
        if (close.startsWith(marker[0] as string) && close.length >= marker.length && new RegExp(`^\\${marker[0]}+$`).test(close)) {
          i++;
          break;
        }
        body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
        i++;
      }
      blocks.push({ t: "code", lang: fence[2] ?? "", v: body.join("\n") });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const c = parseInline(heading[2] ?? "");
      const base = slugOf(plainText(c)) || "section";
      const n = usedIds.get(base) ?? 0;
      usedIds.set(base, n + 1);
      blocks.push({ t: "heading", level: (heading[1] as string).length as 1, id: n === 0 ? base : `${base}-${n}`, c });
      i++;
      continue;
    }
    if (HR.test(line)) {
      blocks.push({ t: "hr" });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i] as string)) {
        inner.push((QUOTE.exec(lines[i] as string) as RegExpExecArray)[1] ?? "");
        i++;
      }
      blocks.push({ t: "quote", c: parseLines(inner, usedIds) });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const parsed = parseList(lines, i, usedIds);
      blocks.push(parsed.block);
      i = parsed.next;
      continue;
    }
    if (line.includes("|") && TABLE_SEPARATOR.test(lines[i + 1] ?? "") && (lines[i + 1] ?? "").includes("-")) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1] as string).map((cell) => {
        const left = cell.startsWith(":");
        const right = cell.endsWith(":");
        return left && right ? "center" : right ? "right" : left ? "left" : null;
      });
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && !isBlank(lines[i]) && (lines[i] as string).includes("|")) {
        const cells = splitRow(lines[i] as string);
        rows.push(head.map((_, ci) => parseInline(cells[ci] ?? "")));
        i++;
      }
      blocks.push({ t: "table", align: head.map((_, ci) => align[ci] ?? null), head: head.map((h) => parseInline(h)), rows });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && (para.length === 0 || !startsBlock(lines[i] as string))) {
      para.push((lines[i] as string).trim());
      i++;
    }
    blocks.push({ t: "paragraph", c: parseInline(para.join("\n")) });
  }
  return blocks;
}

function parseList(lines: string[], start: number, usedIds: Map<string, number>): { block: Block; next: number } {
  const first = LIST_ITEM.exec(lines[start] as string) as RegExpExecArray;
  const baseIndent = (first[1] as string).length;
  const ordered = /\d/.test(first[2] as string);
  const items: Block[][] = [];
  let i = start;
  while (i < lines.length) {
    const m = LIST_ITEM.exec(lines[i] as string);
    if (!m || (m[1] as string).length !== baseIndent || /\d/.test(m[2] as string) !== ordered) break;
    const contentIndent = baseIndent + (m[2] as string).length + Math.max(1, (m[3] as string).length);
    const body: string[] = [m[4] ?? ""];
    i++;
    while (i < lines.length) {
      const l = lines[i] as string;
      if (isBlank(l)) {
        // A blank line continues the item only when the next line is indented into it.
        const next = lines[i + 1];
        if (next !== undefined && !isBlank(next) && next.length - next.trimStart().length >= contentIndent) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      const indent = l.length - l.trimStart().length;
      if (indent >= contentIndent) body.push(l.slice(contentIndent));
      else if (indent > baseIndent && LIST_ITEM.test(l)) body.push(l.slice(Math.min(indent, contentIndent)));
      else if (!startsBlock(l) && indent > baseIndent) body.push(l.trim());
      else if (!startsBlock(l) && body.length > 0 && !isBlank(body[body.length - 1])) body.push(l.trim());
      else break;
      i++;
    }
    items.push(parseLines(body, usedIds));
    // Blank lines between items of the same list.
    let j = i;
    while (j < lines.length && isBlank(lines[j])) j++;
    const again = LIST_ITEM.exec(lines[j] ?? "");
    if (j > i && again && (again[1] as string).length === baseIndent && /\d/.test(again[2] as string) === ordered) i = j;
  }
  return { block: { t: "list", ordered, start: ordered ? Number.parseInt(first[2] as string, 10) : 1, items }, next: i };
}

/** Parses inline Markdown. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let buf = "";
  const flush = (): void => {
    if (buf !== "") out.push({ t: "text", v: buf });
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length && /[\\`*_[\]()#+\-.!<>|{}~]/.test(text[i + 1] as string)) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      const run = /^`+/.exec(text.slice(i))?.[0] ?? "`";
      const end = text.indexOf(run, i + run.length);
      if (end !== -1) {
        flush();
        out.push({ t: "code", v: text.slice(i + run.length, end).replace(/\n/g, " ").replace(/^ (.*) $/, "$1") });
        i = end + run.length;
        continue;
      }
      buf += run;
      i += run.length;
      continue;
    }
    if (c === "<") {
      const auto = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/.exec(text.slice(i));
      if (auto) {
        flush();
        out.push({ t: "link", href: auto[1] as string, c: [{ t: "text", v: auto[1] as string }] });
        i += auto[0].length;
        continue;
      }
    }
    if (c === "[") {
      const close = matchingBracket(text, i);
      if (close !== -1 && text[close + 1] === "(") {
        const end = text.indexOf(")", close + 2);
        if (end !== -1) {
          const target = text.slice(close + 2, end).trim().split(/\s+/)[0] ?? "";
          flush();
          out.push({ t: "link", href: target.replace(/^<|>$/g, ""), c: parseInline(text.slice(i + 1, close)) });
          i = end + 1;
          continue;
        }
      }
    }
    if (c === "*" || c === "_") {
      const double = text[i + 1] === c;
      const marker = double ? c + c : c;
      const prev = text[i - 1];
      const opensWord = c === "*" || prev === undefined || !/[\p{L}\p{N}]/u.test(prev);
      const after = text[i + marker.length];
      if (opensWord && after !== undefined && after !== " " && after !== c) {
        const end = findClosing(text, i + marker.length, marker);
        if (end !== -1) {
          flush();
          const inner = parseInline(text.slice(i + marker.length, end));
          out.push(double ? { t: "strong", c: inner } : { t: "em", c: inner });
          i = end + marker.length;
          continue;
        }
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

function matchingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "\\") {
      i++;
      continue;
    }
    if (text[i] === "[") depth++;
    else if (text[i] === "]" && --depth === 0) return i;
  }
  return -1;
}

function findClosing(text: string, from: number, marker: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") {
      i++;
      continue;
    }
    if (text[i] === "`") {
      const end = text.indexOf("`", i + 1);
      if (end !== -1) i = end;
      continue;
    }
    if (text.startsWith(marker, i) && text[i - 1] !== " " && (marker.length === 2 || text[i + 1] !== marker)) {
      const next = text[i + marker.length];
      if (marker[0] === "_" && next !== undefined && /[\p{L}\p{N}]/u.test(next)) continue;
      return i;
    }
  }
  return -1;
}

/** The first level-1 heading's text (a runbook's title), or undefined. */
export function titleOf(blocks: readonly Block[]): string | undefined {
  const h = blocks.find((b): b is Extract<Block, { t: "heading" }> => b.t === "heading" && b.level === 1);
  return h ? plainText(h.c) : undefined;
}
