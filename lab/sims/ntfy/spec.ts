/**
 * The subset of ntfy's publish API the simulator serves, written from ntfy's official documentation
 * (`docs/publish.md`, "Publish as JSON" and "List of all parameters") and its server's types and
 * errors (`server/types.go` `publishMessage`/`message`, `server/errors.go`) at
 * github.com/binwiederhier/ntfy v2.13.0 (Apache-2.0 / GPL-2.0 dual licence). ntfy publishes no
 * OpenAPI description; this file is the contract the simulator validates requests against.
 */

/** Fields of the JSON form (`PUT|POST /` with a JSON object), as `publishMessage` declares them. */
export const JSON_FIELDS = {
  topic: "string",
  title: "string",
  message: "string",
  priority: "integer",
  tags: "string[]",
  click: "string",
  icon: "string",
  actions: "object[]",
  attach: "string",
  markdown: "boolean",
  filename: "string",
  email: "string",
  call: "string",
  cache: "string",
  firebase: "string",
  delay: "string",
} as const;

/** Header-form parameters: canonical name -> every accepted header name (case-insensitive) and query name (lowercase). */
export const HEADER_PARAMS: Record<string, readonly string[]> = {
  message: ["x-message", "message", "m"],
  title: ["x-title", "title", "t"],
  priority: ["x-priority", "priority", "prio", "p"],
  tags: ["x-tags", "tags", "tag", "ta"],
  delay: ["x-delay", "delay", "x-at", "at", "x-in", "in"],
  actions: ["x-actions", "actions", "action"],
  click: ["x-click", "click"],
  attach: ["x-attach", "attach", "a"],
  markdown: ["x-markdown", "markdown", "md"],
  icon: ["x-icon", "icon"],
  filename: ["x-filename", "filename", "file", "f"],
  email: ["x-email", "x-e-mail", "email", "e-mail", "mail", "e"],
  call: ["x-call", "call"],
  cache: ["x-cache", "cache"],
  firebase: ["x-firebase", "firebase"],
};

/** Priority names (docs "Message priority"); 0 in JSON means the default (3). */
export const PRIORITY_NAMES: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

/** Topic names ntfy accepts (`topicRegex` in server.go). */
export const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

/** Action types (docs "Action buttons"). */
export const ACTION_TYPES = ["view", "broadcast", "http"] as const;

/** ntfy's error answers (`errHTTP`: `{code, http, error, link}`), the ones the simulator gives. */
export const ERRORS = {
  badRequest: { code: 40000, http: 400, error: "invalid request", link: "" },
  priorityInvalid: { code: 40007, http: 400, error: "invalid priority parameter", link: "https://ntfy.sh/docs/publish/#message-priority" },
  topicInvalid: { code: 40009, http: 400, error: "invalid request: topic invalid", link: "" },
  messageJsonInvalid: { code: 40017, http: 400, error: "invalid request: request body must be message JSON", link: "https://ntfy.sh/docs/publish/#publish-as-json" },
  actionsInvalid: { code: 40018, http: 400, error: "invalid request: actions invalid", link: "https://ntfy.sh/docs/publish/#action-buttons" },
  notFound: { code: 40401, http: 404, error: "page not found", link: "" },
  unauthorized: { code: 40101, http: 401, error: "unauthorized", link: "https://ntfy.sh/docs/publish/#authentication" },
  forbidden: { code: 40301, http: 403, error: "forbidden", link: "https://ntfy.sh/docs/publish/#authentication" },
  tooManyRequests: { code: 42901, http: 429, error: "limit reached: too many requests", link: "https://ntfy.sh/docs/publish/#limitations" },
  internal: { code: 50001, http: 500, error: "internal server error", link: "" },
} as const;

export interface NtfyError {
  code: number;
  http: number;
  error: string;
  link: string;
}
