/**
 * ntfy simulator: the publish API (`./spec.ts`) in both forms — JSON to the root URL and the message
 * body to `/<topic>` with parameters in headers or the query — validated like ntfy validates it, with
 * ntfy's error shapes. Every accepted message is recorded (with the form it came in) and can be read
 * from the control port, which also sets faults: `unreachable` (the publish port closes: connection
 * refused), `error` (500, or the status given), `rate-limit` (429 with Retry-After).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ACTION_TYPES, ERRORS, HEADER_PARAMS, JSON_FIELDS, PRIORITY_NAMES, TOPIC, type NtfyError } from "./spec";

/** A published message as ntfy answers it (`message` in server/types.go). */
export interface NtfyMessage {
  id: string;
  time: number;
  expires: number;
  event: "message";
  topic: string;
  title?: string;
  message?: string;
  priority?: number;
  tags?: string[];
  click?: string;
  icon?: string;
  actions?: Array<Record<string, unknown>>;
  content_type?: string;
}

/** What the simulator received: the message, the form, and whether a token came with it. */
export interface Received {
  form: "json" | "headers";
  receivedAt: number;
  authorized: boolean;
  message: NtfyMessage;
}

export type NtfyFault = { kind: "unreachable" } | { kind: "error"; status: number } | { kind: "rate-limit"; retryAfterSeconds: number };

export interface NtfySimOptions {
  /** Publish port (0: any free one). */
  port?: number;
  controlPort?: number;
  /** When set, publishing needs `Authorization: Bearer <token>` (no header: 403; another token: 401). */
  token?: string;
  /** Reported by `GET <control>/config`, so the lab can tell a process started with other settings. */
  configId?: string;
}

export interface NtfySim {
  url: string;
  controlUrl: string;
  received(): Received[];
  clear(): void;
  setFault(fault: NtfyFault | null): Promise<void>;
  /** Requests refused by a fault (counted, so a test can see the retries). */
  refused(): number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

class Refusal extends Error {
  constructor(readonly answer: NtfyError) {
    super(answer.error);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Refusal(ERRORS.badRequest));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*", ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

function parsePriority(value: unknown): number {
  if (value === undefined || value === "" || value === 0) return 0;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 1 && value <= 5) return value;
    throw new Refusal(ERRORS.priorityInvalid);
  }
  const v = String(value).trim().toLowerCase();
  if (/^[1-5]$/.test(v)) return Number(v);
  const named = PRIORITY_NAMES[v];
  if (named === undefined) throw new Refusal(ERRORS.priorityInvalid);
  return named;
}

function checkActions(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value) || value.length > 3) throw new Refusal(ERRORS.actionsInvalid);
  return value.map((a) => {
    if (typeof a !== "object" || a === null || Array.isArray(a)) throw new Refusal(ERRORS.actionsInvalid);
    const action = a as Record<string, unknown>;
    if (!ACTION_TYPES.includes(action.action as (typeof ACTION_TYPES)[number]) || typeof action.label !== "string" || action.label === "") throw new Refusal(ERRORS.actionsInvalid);
    if ((action.action === "view" || action.action === "http") && (typeof action.url !== "string" || !/^https?:\/\//.test(action.url))) throw new Refusal(ERRORS.actionsInvalid);
    return action;
  });
}

function checkUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^(https?:\/\/|mailto:|geo:|ntfy:\/\/)/.test(value)) throw new Refusal(ERRORS.badRequest);
  return value;
}

function message(topic: string, fields: { title?: string; message?: string; priority: number; tags?: string[]; click?: string; icon?: string; actions?: Array<Record<string, unknown>>; markdown?: boolean }): NtfyMessage {
  const now = Math.floor(Date.now() / 1000);
  return {
    id: randomBytes(9).toString("base64url").slice(0, 12),
    time: now,
    expires: now + 12 * 3600,
    event: "message",
    topic,
    ...(fields.title ? { title: fields.title } : {}),
    message: fields.message && fields.message !== "" ? fields.message : "triggered",
    ...(fields.priority ? { priority: fields.priority } : {}),
    ...(fields.tags && fields.tags.length > 0 ? { tags: fields.tags } : {}),
    ...(fields.click ? { click: fields.click } : {}),
    ...(fields.icon ? { icon: fields.icon } : {}),
    ...(fields.actions && fields.actions.length > 0 ? { actions: fields.actions } : {}),
    ...(fields.markdown ? { content_type: "text/markdown" } : {}),
  };
}

/** The JSON form: an object of `publishMessage`'s fields, `topic` required. Unknown fields are refused. */
export function parseJsonForm(body: Buffer): NtfyMessage {
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch {
    throw new Refusal(ERRORS.messageJsonInvalid);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new Refusal(ERRORS.messageJsonInvalid);
  const m = data as Record<string, unknown>;
  for (const [key, value] of Object.entries(m)) {
    const type = (JSON_FIELDS as Record<string, string>)[key];
    if (type === undefined) throw new Refusal({ ...ERRORS.messageJsonInvalid, error: `${ERRORS.messageJsonInvalid.error} (unknown field "${key}")` });
    const ok =
      value === null ||
      (type === "string" && typeof value === "string") ||
      (type === "integer" && typeof value === "number" && Number.isInteger(value)) ||
      (type === "boolean" && typeof value === "boolean") ||
      (type === "string[]" && Array.isArray(value) && value.every((v) => typeof v === "string")) ||
      (type === "object[]" && Array.isArray(value));
    if (!ok) throw new Refusal(ERRORS.messageJsonInvalid);
  }
  const topic = typeof m.topic === "string" ? m.topic : "";
  if (!TOPIC.test(topic)) throw new Refusal(ERRORS.topicInvalid);
  return message(topic, {
    title: m.title as string | undefined,
    message: m.message as string | undefined,
    priority: parsePriority(m.priority ?? 0),
    tags: m.tags as string[] | undefined,
    click: checkUrl(m.click as string | undefined),
    icon: checkUrl(m.icon as string | undefined),
    actions: m.actions === undefined || m.actions === null ? undefined : checkActions(m.actions),
    markdown: m.markdown === true,
  });
}

/** A header-form parameter: the first header alias (case-insensitive) or lowercase query name that is set. */
function param(req: IncomingMessage, query: URLSearchParams, name: string): string | undefined {
  for (const alias of HEADER_PARAMS[name] ?? []) {
    const h = req.headers[alias];
    if (typeof h === "string" && h !== "") return h;
    const q = query.get(alias);
    if (q !== null && q !== "") return q;
  }
  return undefined;
}

/** The header form: `PUT|POST /<topic>`, the body is the message; parameters in headers or the query. */
export function parseHeaderForm(req: IncomingMessage, topic: string, query: URLSearchParams, body: Buffer): NtfyMessage {
  if (!TOPIC.test(topic)) throw new Refusal(ERRORS.topicInvalid);
  const text = body.toString("utf8");
  if (Buffer.from(text, "utf8").compare(body) !== 0) throw new Refusal({ code: 40011, http: 400, error: "invalid request: message must be UTF-8 encoded", link: "" });
  const actionsText = param(req, query, "actions");
  let actions: Array<Record<string, unknown>> | undefined;
  if (actionsText !== undefined) {
    if (!actionsText.trim().startsWith("[")) throw new Refusal(ERRORS.actionsInvalid); // the short format is not simulated
    try {
      actions = checkActions(JSON.parse(actionsText));
    } catch (error) {
      if (error instanceof Refusal) throw error;
      throw new Refusal(ERRORS.actionsInvalid);
    }
  }
  const md = param(req, query, "markdown");
  return message(topic, {
    title: param(req, query, "title"),
    message: param(req, query, "message") ?? text.trim(),
    priority: parsePriority(param(req, query, "priority")),
    tags: param(req, query, "tags")?.split(",").map((t) => t.trim()).filter((t) => t !== ""),
    click: checkUrl(param(req, query, "click")),
    icon: checkUrl(param(req, query, "icon")),
    actions,
    markdown: md === "1" || md === "yes" || md === "true" || req.headers["content-type"] === "text/markdown",
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the simulator: the publish port and the control port. */
export async function startNtfySim(opts: NtfySimOptions = {}): Promise<NtfySim> {
  const received: Received[] = [];
  let fault: NtfyFault | null = null;
  let refused = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://ntfy.local");
    try {
      if (req.method === "GET" && url.pathname === "/v1/health") return send(res, 200, { healthy: true });
      if (fault?.kind === "error") {
        refused++;
        return send(res, fault.status, fault.status >= 500 ? ERRORS.internal : { ...ERRORS.badRequest, http: fault.status });
      }
      if (fault?.kind === "rate-limit") {
        refused++;
        return send(res, 429, ERRORS.tooManyRequests, { "retry-after": String(fault.retryAfterSeconds) });
      }
      if (req.method !== "POST" && req.method !== "PUT") throw new Refusal(ERRORS.notFound);
      const auth = req.headers.authorization;
      let authorized = false;
      if (opts.token !== undefined) {
        if (auth === undefined) throw new Refusal(ERRORS.forbidden);
        if (auth !== `Bearer ${opts.token}`) throw new Refusal(ERRORS.unauthorized);
        authorized = true;
      }
      const body = await readBody(req);
      const path = url.pathname.replace(/^\/+/, "");
      const form: Received["form"] = path === "" ? "json" : "headers";
      if (path.includes("/")) throw new Refusal(ERRORS.notFound);
      const published = form === "json" ? parseJsonForm(body) : parseHeaderForm(req, path, url.searchParams, body);
      received.push({ form, receivedAt: Date.now(), authorized, message: published });
      return send(res, 200, published);
    } catch (error) {
      if (error instanceof Refusal) return send(res, error.answer.http, error.answer);
      return send(res, 500, ERRORS.internal);
    }
  };

  const publish = createServer((req, res) => void handle(req, res));
  const port = await listen(publish, opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;

  const setFault = async (next: NtfyFault | null): Promise<void> => {
    if (next?.kind === "unreachable") await closeServer(publish);
    else if (!publish.listening) await listen(publish, port);
    fault = next;
  };

  const control = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? "/", "http://control.local");
      if (req.method === "GET" && u.pathname === "/config") return send(res, 200, { configId: opts.configId ?? null });
      if (req.method === "GET" && u.pathname === "/messages") {
        const topic = u.searchParams.get("topic");
        return send(res, 200, { messages: received.filter((r) => !topic || r.message.topic === topic), refused, fault });
      }
      if (req.method === "POST" && u.pathname === "/") {
        let cmd: { action?: string; fault?: string; status?: number; retryAfterSeconds?: number };
        try {
          cmd = JSON.parse((await readBody(req)).toString("utf8")) as typeof cmd;
        } catch {
          return send(res, 400, { error: "body must be JSON" });
        }
        if (cmd.action === "clear") {
          received.length = 0;
          refused = 0;
          await setFault(null);
          return send(res, 200, { ok: true });
        }
        if (cmd.action === "fault") {
          const f: NtfyFault | null =
            cmd.fault === "unreachable"
              ? { kind: "unreachable" }
              : cmd.fault === "error"
                ? { kind: "error", status: cmd.status ?? 500 }
                : cmd.fault === "rate-limit"
                  ? { kind: "rate-limit", retryAfterSeconds: cmd.retryAfterSeconds ?? 5 }
                  : cmd.fault === "none" || cmd.fault === undefined
                    ? null
                    : undefined!;
          if (f === undefined) return send(res, 400, { error: `unknown fault ${String(cmd.fault)}: unreachable, error, rate-limit or none` });
          await setFault(f);
          return send(res, 200, { ok: true, fault: f });
        }
        return send(res, 400, { error: 'actions: {"action":"clear"}, {"action":"fault","fault":"unreachable|error|rate-limit|none"}' });
      }
      return send(res, 404, { error: "GET /messages or POST /" });
    })();
  });
  const controlPort = await listen(control, opts.controlPort ?? 0);

  return {
    url,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    received: () => [...received],
    clear: () => {
      received.length = 0;
    },
    setFault,
    refused: () => refused,
    close: async () => {
      await Promise.all([closeServer(publish), closeServer(control)]);
    },
  };
}
