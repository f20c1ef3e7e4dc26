import {
  CST,
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Parser,
  parseAllDocuments,
  Scalar,
  stringify,
  YAMLMap,
  YAMLSeq,
  type Node,
} from "yaml";
import { AppError } from "@/lib/errors";

/**
 * Edits of YAML files that keep every byte the edit does not touch.
 *
 * Re-serialising a parsed document (`Document.toString()`) normalises what people wrote by hand:
 * comment alignment, `[ "" ]` padding, mixed sequence indentation, whitespace-only lines. On the user's
 * repository that would put unrelated lines in the diff of more than half of the files. So an edit here
 * works in three steps:
 * 1. the Document API locates the node to change (its source offsets come with the parse);
 * 2. the new nodes are rendered by the `yaml` stringifier with the file's own indentation and
 *    sequence style, and spliced into the original text at those offsets;
 * 3. the result is parsed again and compared with the same edit applied through the Document API
 *    (`setIn`/`addIn` on a clone): any difference refuses the edit, naming the file.
 * A file is editable when it parses without errors or warnings, the parser's concrete syntax tree
 * gives the file back byte for byte, and it uses LF line endings.
 */

/** Why a file cannot be edited, or that it can. */
export type EditableCheck = { editable: true } | { editable: false; reason: string };

/** A path into a YAML document (map keys and sequence indexes). */
export type YamlPath = ReadonlyArray<string | number>;

/**
 * The error of an edit that cannot be made safely: `conflict` (the file's shape does not allow the
 * edit), source `gitops`, the message naming the file and the reason; the cause holds both.
 */
export function yamlEditError(file: string, reason: string): AppError {
  return new AppError("conflict", `${file}: ${reason}`, { source: "gitops", cause: { file, reason } });
}

/** The file re-serialised from the parser's concrete syntax tree, with no edit. */
export function roundTrip(text: string): string {
  let out = "";
  for (const token of new Parser().parse(text)) out += CST.stringify(token);
  return out;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Whether `text` can be edited by this module, and if not, why (with the line of the problem). */
export function checkEditable(text: string): EditableCheck {
  if (text.includes("\r")) return { editable: false, reason: "it uses Windows (CRLF) line endings" };
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return { editable: false, reason: "the parser found no documents" };
  for (const doc of docs) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) {
      const line = lineOf(text, problem.pos[0]);
      return { editable: false, reason: `the YAML parser reports ${problem.code} at line ${line}: ${problem.message.split("\n")[0]}` };
    }
  }
  const back = roundTrip(text);
  if (back !== text) {
    let i = 0;
    while (i < text.length && text[i] === back[i]) i++;
    return { editable: false, reason: `re-serialising it does not give the same bytes (first difference at line ${lineOf(text, i)})` };
  }
  return { editable: true };
}

interface Splice {
  at: number;
  remove: number;
  insert: string;
}

function columnOf(text: string, offset: number): number {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return offset - lineStart;
}

/** Offset of the start of the line after the one holding `offset` (text length at the end). */
function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl === -1 ? text.length : nl + 1;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Map || b instanceof Map) {
    return deepEqual(a instanceof Map ? Object.fromEntries(a) : a, b instanceof Map ? Object.fromEntries(b) : b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function commentLines(comment: string | undefined): string {
  if (!comment) return "";
  return comment
    .split("\n")
    .map((line) => (line.trim() === "" ? "#\n" : `# ${line}\n`))
    .join("");
}

/** How a file indents: the step of nested maps and whether block sequences are indented under their key. */
export interface YamlStyle {
  indent: number;
  indentSeq: boolean;
}

/**
 * One YAML file (one or more documents) being edited. Edits are recorded as splices against the
 * original text and checked when {@link YamlFileEditor.result} is called.
 */
export class YamlFileEditor {
  readonly docs: Document.Parsed[];
  private readonly expected: Array<Document | null>;
  private readonly splices: Splice[] = [];
  private readonly embedded = new Map<string, { editor: YamlFileEditor; docIndex: number; path: YamlPath }>();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    const check = checkEditable(text);
    if (!check.editable) throw yamlEditError(file, `not editable: ${check.reason}`);
    this.docs = parseAllDocuments(text) as Document.Parsed[];
    this.expected = this.docs.map((d) => d.clone());
  }

  /** Plain JS value of each document (null for an empty document). */
  values(): unknown[] {
    return this.docs.map((d) => d.toJS({ maxAliasCount: 100 }));
  }

  /** Index of the first document whose value matches, or -1. */
  findDocument(match: (value: Record<string, unknown>) => boolean): number {
    return this.values().findIndex((v) => typeof v === "object" && v !== null && !Array.isArray(v) && match(v as Record<string, unknown>));
  }

  private doc(index: number): Document.Parsed {
    const doc = this.docs[index];
    if (!doc) throw yamlEditError(this.file, `has no document #${index + 1}`);
    return doc;
  }

  /** The node at `path` of document `docIndex`, or undefined. */
  node(docIndex: number, path: YamlPath): Node | undefined {
    const doc = this.doc(docIndex);
    if (path.length === 0) return (doc.contents ?? undefined) as Node | undefined;
    const found = doc.getIn(path as Array<string | number>, true);
    return found && typeof found === "object" && "range" in (found as object) ? (found as Node) : undefined;
  }

  private where(path: YamlPath): string {
    return path.length === 0 ? "the document root" : path.join(".");
  }

  /** The file's indentation style near document `docIndex`. */
  style(docIndex: number): YamlStyle {
    const doc = this.doc(docIndex);
    let indent: number | undefined;
    let seqIndented = 0;
    let seqFlush = 0;
    const visit = (node: unknown, keyCol: number | undefined): void => {
      if (isMap(node) && !node.flow) {
        const col = node.range ? columnOf(this.text, node.range[0]) : undefined;
        if (indent === undefined && keyCol !== undefined && col !== undefined && col > keyCol) indent = col - keyCol;
        for (const pair of node.items) {
          const kc = isScalar(pair.key) && pair.key.range ? columnOf(this.text, pair.key.range[0]) : col;
          if (isSeq(pair.value) && !pair.value.flow && pair.value.range && kc !== undefined) {
            if (columnOf(this.text, pair.value.range[0]) > kc) seqIndented++;
            else seqFlush++;
          }
          visit(pair.value, kc);
        }
      } else if (isSeq(node) && !node.flow) {
        for (const item of node.items) visit(item, undefined);
      }
    };
    visit(doc.contents, undefined);
    return { indent: indent ?? 2, indentSeq: seqIndented > seqFlush };
  }

  private render(value: unknown, docIndex: number): string {
    const { indent, indentSeq } = this.style(docIndex);
    return stringify(value, { indent, indentSeq, lineWidth: 0, minContentWidth: 0 });
  }

  private indentLines(text: string, column: number): string {
    const pad = " ".repeat(column);
    return text
      .split("\n")
      .map((line) => (line === "" ? line : pad + line))
      .join("\n");
  }

  /** Start of the line after a collection's last item, before any blank lines that follow it. */
  private insertionPoint(start: number, end: number): number {
    let at = nextLineStart(this.text, Math.max(end - 1, start));
    while (at > start) {
      const prevStart = this.text.lastIndexOf("\n", at - 2) + 1;
      if (prevStart <= start || this.text.slice(prevStart, at).trim() !== "") break;
      at = prevStart;
    }
    return at;
  }

  /**
   * Appends `pairs` (in order) at the end of the block map at `path`, after an optional comment. A key
   * that already exists is an error: callers decide what to do with existing values first.
   */
  addPairs(docIndex: number, path: YamlPath, pairs: Record<string, unknown>, comment?: string): void {
    const map = this.node(docIndex, path);
    if (!isMap(map) || !map.range) throw yamlEditError(this.file, `${this.where(path)} is not a mapping`);
    if (map.flow) throw yamlEditError(this.file, `${this.where(path)} is a flow mapping ({...}); it is not edited in place`);
    for (const key of Object.keys(pairs)) {
      if (map.has(key)) throw yamlEditError(this.file, `${this.where([...path, key])} already exists`);
    }
    const column = columnOf(this.text, map.range[0]);
    const at = this.insertionPoint(map.range[0], map.range[1]);
    const lead = at === this.text.length && !this.text.endsWith("\n") ? "\n" : "";
    this.splices.push({ at, remove: 0, insert: lead + this.indentLines(commentLines(comment) + this.render(pairs, docIndex), column) });
    const expected = this.expected[docIndex];
    for (const [key, value] of Object.entries(pairs)) expected?.setIn([...path, key], value);
  }

  /**
   * Inserts `pairs` into the block map at `path` on the lines right after the pair `afterKey` when its
   * value is a one-line scalar (`image: ...`); at the end of the map otherwise. Two changes that each
   * add keys to the same map then edit different lines, so both merge.
   */
  addPairsAfter(docIndex: number, path: YamlPath, afterKey: string, pairs: Record<string, unknown>): void {
    const map = this.node(docIndex, path);
    const pair = isMap(map) && !map.flow ? map.items.find((p) => keyOf(p) === afterKey) : undefined;
    const value = pair?.value;
    if (!isMap(map) || !map.range || !isScalar(value) || !value.range || this.text.slice(value.range[0], value.range[1]).includes("\n")) {
      this.addPairs(docIndex, path, pairs);
      return;
    }
    for (const key of Object.keys(pairs)) {
      if (map.has(key)) throw yamlEditError(this.file, `${this.where([...path, key])} already exists`);
    }
    const at = nextLineStart(this.text, value.range[1]);
    const lead = at === this.text.length && !this.text.endsWith("\n") ? "\n" : "";
    this.splices.push({ at, remove: 0, insert: lead + this.indentLines(this.render(pairs, docIndex), columnOf(this.text, map.range[0])) });
    const expected = this.expected[docIndex];
    for (const [key, v] of Object.entries(pairs)) expected?.setIn([...path, key], v);
  }

  /** Appends `value` as the last item of the block sequence at `path`, after an optional comment. */
  appendItem(docIndex: number, path: YamlPath, value: unknown, comment?: string): void {
    this.appendItems(docIndex, path, [value], comment);
  }

  /** Appends `values` (in order) as the last items of the block sequence at `path`, after an optional comment. */
  appendItems(docIndex: number, path: YamlPath, values: readonly unknown[], comment?: string): void {
    if (values.length === 0) return;
    const seq = this.node(docIndex, path);
    if (!isSeq(seq) || !seq.range) throw yamlEditError(this.file, `${this.where(path)} is not a sequence`);
    if (seq.flow || seq.items.length === 0) {
      throw yamlEditError(this.file, `${this.where(path)} is a flow or empty sequence; it is not edited in place`);
    }
    const column = columnOf(this.text, seq.range[0]);
    const at = this.insertionPoint(seq.range[0], seq.range[1]);
    const rendered = this.render([...values], docIndex);
    const lead = at === this.text.length && !this.text.endsWith("\n") ? "\n" : "";
    this.splices.push({ at, remove: 0, insert: lead + this.indentLines(commentLines(comment) + rendered, column) });
    for (const value of values) this.expected[docIndex]?.addIn(path as Array<string | number>, value);
  }

  /**
   * Inserts `value` as item `index` of the block sequence at `path` (before the item now there), on
   * its own lines at the sequence's indentation, after an optional comment.
   */
  insertItem(docIndex: number, path: YamlPath, index: number, value: unknown, comment?: string): void {
    const seq = this.node(docIndex, path);
    if (!isSeq(seq) || !seq.range) throw yamlEditError(this.file, `${this.where(path)} is not a sequence`);
    if (seq.flow || seq.items.length === 0) {
      throw yamlEditError(this.file, `${this.where(path)} is a flow or empty sequence; it is not edited in place`);
    }
    if (index === seq.items.length) {
      this.appendItem(docIndex, path, value, comment);
      return;
    }
    const item = seq.items[index] as Node | undefined;
    if (!item?.range) throw yamlEditError(this.file, `${this.where([...path, index])} does not exist`);
    // The item's own "- " is on the line where its value starts; insert before that line.
    const at = this.text.lastIndexOf("\n", item.range[0] - 1) + 1;
    const dash = this.text.slice(at, item.range[0]);
    if (!/^\s*-\s+$/.test(dash)) throw yamlEditError(this.file, `${this.where([...path, index])} does not start its own line`);
    const column = columnOf(this.text, seq.range[0]);
    this.splices.push({ at, remove: 0, insert: this.indentLines(commentLines(comment) + this.render([value], docIndex), column) });
    const expectedDoc = this.expected[docIndex];
    const expectedSeq = expectedDoc?.getIn(path as Array<string | number>, true);
    if (isSeq(expectedSeq) && expectedDoc) {
      const items = expectedSeq.toJSON() as unknown[];
      items.splice(index, 0, value);
      expectedDoc.setIn(path as Array<string | number>, items);
    }
  }

  /**
   * Replaces the value at `path`: a scalar in place on its line, a block collection by the rendered
   * value at the same indentation. Flow collections and multi-line scalars are refused.
   */
  setValue(docIndex: number, path: YamlPath, value: unknown): void {
    const node = this.node(docIndex, path);
    if (!node?.range) throw yamlEditError(this.file, `${this.where(path)} does not exist`);
    const [start, end] = node.range;
    if (isScalar(node)) {
      if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL || this.text.slice(start, end).includes("\n")) {
        throw yamlEditError(this.file, `${this.where(path)} is a multi-line text; it is not replaced in place`);
      }
      if (typeof value === "object" && value !== null) throw yamlEditError(this.file, `${this.where(path)}: a scalar is replaced by a scalar only`);
      const rendered = stringify(value, { lineWidth: 0 }).replace(/\n$/, "");
      if (rendered.includes("\n")) throw yamlEditError(this.file, `${this.where(path)}: the new value does not fit on one line`);
      this.splices.push({ at: start, remove: end - start, insert: rendered });
    } else if ((isMap(node) || isSeq(node)) && !node.flow) {
      if (typeof value !== "object" || value === null || Array.isArray(value) !== isSeq(node)) {
        throw yamlEditError(this.file, `${this.where(path)}: a ${isSeq(node) ? "sequence" : "mapping"} is replaced by the same kind of value`);
      }
      const column = columnOf(this.text, start);
      const stop = this.insertionPoint(start, end);
      const rendered = this.indentLines(this.render(value, docIndex), column).slice(column);
      this.splices.push({ at: start, remove: stop - start, insert: rendered });
    } else {
      throw yamlEditError(this.file, `${this.where(path)} is a flow collection or an alias; it is not replaced in place`);
    }
    this.expected[docIndex]?.setIn(path as Array<string | number>, value);
  }

  /**
   * Gives a key that has no value (`rule_files:` followed only by commented-out items) a block
   * collection. The items go after the comment lines that belong to the key, at their indentation
   * (so the result reads like the comments uncommented), or one step in from the key.
   */
  fillEmpty(docIndex: number, path: YamlPath, value: unknown[] | Record<string, unknown>, comment?: string): void {
    const node = this.node(docIndex, path);
    if (!isScalar(node) || node.value !== null || !node.range) throw yamlEditError(this.file, `${this.where(path)} is not an empty value`);
    const [start, end] = node.range;
    const explicit = this.text.slice(start, end);
    if (explicit.includes("\n")) throw yamlEditError(this.file, `${this.where(path)} spans lines; it is not filled in place`);
    const keyLineStart = this.text.lastIndexOf("\n", start - 1) + 1;
    const keyColumn = this.text.length - keyLineStart - this.text.slice(keyLineStart).trimStart().length;
    const { indent, indentSeq } = this.style(docIndex);
    let at = nextLineStart(this.text, start);
    let column = keyColumn + (Array.isArray(value) && !indentSeq ? 0 : indent);
    let firstComment = true;
    while (at < this.text.length) {
      const lineEnd = nextLineStart(this.text, at);
      const line = this.text.slice(at, lineEnd);
      const trimmed = line.trimStart();
      const lineIndent = line.length - trimmed.length;
      if (!trimmed.startsWith("#") || lineIndent <= keyColumn) break;
      if (firstComment) column = lineIndent;
      firstComment = false;
      at = lineEnd;
    }
    const lead = at === this.text.length && !this.text.endsWith("\n") ? "\n" : "";
    if (explicit !== "") this.splices.push({ at: start, remove: end - start, insert: "" });
    this.splices.push({ at, remove: 0, insert: lead + this.indentLines(commentLines(comment) + this.render(value, docIndex), column) });
    this.expected[docIndex]?.setIn(path as Array<string | number>, value);
  }

  /**
   * Replaces the text of a literal block scalar (`key: |`) with `text` (which must end with one line
   * break), keeping the block's indentation. Used for a file held in a ConfigMap that the panel owns.
   */
  setBlockText(docIndex: number, path: YamlPath, text: string): void {
    const node = this.node(docIndex, path);
    if (!isScalar(node) || !node.range || node.type !== Scalar.BLOCK_LITERAL) throw yamlEditError(this.file, `${this.where(path)} is not a literal block (|)`);
    if (!text.endsWith("\n") || text.endsWith("\n\n")) throw yamlEditError(this.file, `${this.where(path)}: the new text must end with exactly one line break`);
    const [start, , end] = node.range;
    const headerEnd = nextLineStart(this.text, start);
    let indent: number | undefined;
    for (let at = headerEnd; at < end && indent === undefined; at = nextLineStart(this.text, at)) {
      const line = this.text.slice(at, nextLineStart(this.text, at));
      if (line.trim() !== "") indent = line.length - line.trimStart().length;
    }
    if (indent === undefined) throw yamlEditError(this.file, `${this.where(path)} is empty`);
    const stop = this.insertionPoint(start, end);
    this.splices.push({ at: start, remove: stop - start, insert: `|\n${this.indentLines(text, indent)}` });
    this.expected[docIndex]?.setIn(path as Array<string | number>, text);
  }

  /**
   * Edits YAML held in a literal block scalar (`key: |`), such as `prometheus.yml` inside a ConfigMap.
   * `edit` receives an editor of the embedded text; its edits must insert whole lines, which are
   * re-indented into the block.
   */
  editEmbedded(docIndex: number, path: YamlPath, edit: (inner: YamlFileEditor) => void): void {
    const node = this.node(docIndex, path);
    if (!isScalar(node) || !node.range || typeof node.value !== "string") {
      throw yamlEditError(this.file, `${this.where(path)} is not a text value`);
    }
    if (node.type !== Scalar.BLOCK_LITERAL) {
      throw yamlEditError(this.file, `${this.where(path)} is not a literal block (|); it is not edited in place`);
    }
    const key = JSON.stringify([docIndex, path]);
    if (this.embedded.has(key)) throw yamlEditError(this.file, `${this.where(path)} is edited twice`);
    const inner = new YamlFileEditor(`${this.file} (${this.where(path)})`, node.value);
    edit(inner);
    this.embedded.set(key, { editor: inner, docIndex, path });
  }

  private embeddedSplices(): Splice[] {
    const out: Splice[] = [];
    for (const { editor, docIndex, path } of this.embedded.values()) {
      const node = this.node(docIndex, path) as Scalar;
      const range = node.range as [number, number, number];
      const headerEnd = nextLineStart(this.text, range[0]);
      if (/[1-9]/.test(this.text.slice(range[0], headerEnd).split("#")[0] ?? "")) {
        throw yamlEditError(this.file, `${this.where(path)} has an explicit indentation indicator; it is not edited in place`);
      }
      // Content lines of the block in the outer text, and the column its content starts at.
      const lines: Array<{ start: number; blank: boolean }> = [];
      let indent: number | undefined;
      for (let at = headerEnd; at < range[1]; at = nextLineStart(this.text, at)) {
        const line = this.text.slice(at, nextLineStart(this.text, at)).replace(/\n$/, "");
        const blank = line.trim() === "";
        lines.push({ start: at, blank });
        if (indent === undefined && !blank) indent = line.length - line.trimStart().length;
      }
      if (indent === undefined) throw yamlEditError(this.file, `${this.where(path)} is empty`);
      let lastContent = lines.length - 1;
      while (lastContent >= 0 && lines[lastContent]?.blank) lastContent--;
      const afterContent = lastContent >= 0 ? nextLineStart(this.text, (lines[lastContent] as { start: number }).start) : headerEnd;
      for (const s of editor.pendingSplices()) {
        const before = editor.text.slice(0, s.at);
        const atLineStart = s.at === 0 || before.endsWith("\n");
        if (s.remove !== 0 || !atLineStart || !s.insert.endsWith("\n")) {
          throw yamlEditError(this.file, `${this.where(path)}: only whole lines can be inserted into an embedded file`);
        }
        const lineIndex = before.split("\n").length - 1;
        const target = lineIndex <= lastContent ? (lines[lineIndex] as { start: number }).start : afterContent;
        out.push({ at: target, remove: 0, insert: this.indentLines(s.insert, indent) });
      }
      this.expected[docIndex]?.setIn(path as Array<string | number>, editor.result());
    }
    return out;
  }

  /** Removes document `docIndex` (with its `---` marker) and returns its text as a standalone file. */
  removeDocument(docIndex: number): string {
    const doc = this.doc(docIndex);
    const [start, , end] = doc.range;
    this.splices.push({ at: start, remove: end - start, insert: "" });
    this.expected[docIndex] = null;
    const body = this.text.slice(start, end).replace(/^---[^\n]*\n/, "");
    return body.endsWith("\n") ? body : `${body}\n`;
  }

  /** Splices recorded so far (for an enclosing file). */
  pendingSplices(): readonly Splice[] {
    return this.splices;
  }

  /** True when no edit has been recorded. */
  get unchanged(): boolean {
    return this.splices.length === 0 && this.embedded.size === 0;
  }

  /**
   * The edited text. Parses it again and compares every document with the expected value; throws a
   * {@link yamlEditError} naming the file when they differ (the edit is then refused).
   */
  result(): string {
    const all = [...this.splices, ...this.embeddedSplices()].sort((a, b) => b.at - a.at);
    for (let i = 1; i < all.length; i++) {
      const later = all[i - 1] as Splice;
      const earlier = all[i] as Splice;
      if (earlier.at + earlier.remove > later.at) throw yamlEditError(this.file, "two edits overlap");
    }
    let out = this.text;
    for (const s of all) out = out.slice(0, s.at) + s.insert + out.slice(s.at + s.remove);
    const check = checkEditable(out);
    if (!check.editable) throw yamlEditError(this.file, `the edited file would not be valid: ${check.reason}`);
    const got = (parseAllDocuments(out) as Document.Parsed[]).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    const want = this.expected.filter((d): d is Document => d !== null).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    if (!deepEqual(got, want)) {
      throw yamlEditError(this.file, "the edit could not be verified: the file parsed after the edit differs from the intended change");
    }
    return out;
  }
}

/** Reads a pair's key as a string (scalar keys only). */
export function keyOf(pair: unknown): string | undefined {
  return isPair(pair) && isScalar(pair.key) ? String(pair.key.value) : undefined;
}

export { YAMLMap, YAMLSeq };
