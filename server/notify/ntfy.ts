import "server-only";
import { z } from "zod";
import type { NotificationMessage } from "@/lib/alerts/message";
import { AppError, isAppError } from "@/lib/errors";
import { appMessagesOf, httpRequest, scrubSecrets, type HttpConnection } from "@/server/apps/http";
import { retryAfterMs, type DeliveryResult } from "./delivery";

/**
 * A ntfy server (https://ntfy.sh or a self-hosted one), publishing as JSON to its root URL (ntfy
 * docs, "Publish as JSON": `POST /` with `{ topic, title, message, priority, tags, click, actions }`).
 * The answer is the published message (`{ id, time, event: "message", topic, ... }`); errors are
 * `{ code, http, error, link }`. The topic and the token are secrets: never in a message.
 */

/** Priorities by severity (1 min .. 5 max) and for recovery messages. */
export interface NtfyPriorities {
  critical: number;
  warning: number;
  info: number;
  resolved: number;
}

export interface NtfyOptions {
  url: string;
  topic: string;
  token?: string;
  priorities: NtfyPriorities;
  timeoutMs: number;
}

const publishedSchema = z.object({ id: z.string(), time: z.number(), event: z.literal("message"), topic: z.string() }).loose();

/** The emoji tags ntfy shows before the title (its emoji short codes). */
function tagsOf(m: NotificationMessage): string[] {
  if (m.event === "test") return ["bell"];
  if (m.event === "resolved") return ["white_check_mark"];
  return [m.severity === "critical" ? "rotating_light" : m.severity === "warning" ? "warning" : "information_source"];
}

/** The JSON body of one message. */
export function ntfyBody(m: NotificationMessage, topic: string, priorities: NtfyPriorities): Record<string, unknown> {
  const actions = [
    ...(m.runbookUrl ? [{ action: "view", label: "Runbook", url: m.runbookUrl }] : []),
    ...(m.alertsUrl ? [{ action: "view", label: "Alerts", url: m.alertsUrl }] : []),
  ];
  return {
    topic,
    title: m.title,
    message: m.message,
    priority: m.event === "resolved" ? priorities.resolved : priorities[m.severity],
    tags: [...tagsOf(m), ...(m.serviceId ? [m.serviceId.replace("/", "-")] : [])],
    ...(m.clickUrl ? { click: m.clickUrl } : {}),
    ...(actions.length > 0 ? { actions } : {}),
  };
}

export class NtfyClient {
  private readonly conn: HttpConnection;

  constructor(private readonly options: NtfyOptions) {
    this.conn = { baseUrl: options.url, timeoutMs: options.timeoutMs, appName: "ntfy", source: "ntfy", secrets: [options.token, options.topic] };
  }

  /** Publishes one message; a refusal or an outage is a result, never a throw. */
  async publish(message: NotificationMessage, opts: { signal?: AbortSignal } = {}): Promise<DeliveryResult> {
    const o = this.options;
    try {
      const res = await httpRequest(this.conn, {
        method: "POST",
        path: "/",
        body: ntfyBody(message, o.topic, o.priorities),
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
        schema: z.unknown(),
        acceptStatuses: [400, 401, 403, 404, 413, 429, 500, 502, 503, 504],
        signal: opts.signal,
      });
      if (res.status >= 200 && res.status < 300) {
        const published = publishedSchema.safeParse(res.data);
        if (!published.success) return { ok: false, error: "ntfy accepted the message but its answer is not a ntfy message (is the URL the ntfy server's root?)" };
        return { ok: true, id: published.data.id };
      }
      const said = appMessagesOf(JSON.stringify(res.data ?? "")).map((m) => scrubSecrets(m, this.conn.secrets));
      const what = said.length > 0 ? `: ${said.join("; ")}` : "";
      const hint =
        res.status === 401 || res.status === 403
          ? " (the topic needs a token: set tokenEnv to a variable with a token that may publish to it)"
          : res.status === 429
            ? " (rate limit: the message is sent again later)"
            : "";
      return { ok: false, error: `ntfy answered HTTP ${res.status}${what}${hint}`, retryAfterMs: res.status === 429 ? (retryAfterMs(res.headers.get("retry-after")) ?? 30_000) : undefined };
    } catch (error) {
      return { ok: false, error: isAppError(error) ? error.message : new AppError("internal", "ntfy: the delivery failed inside the panel").message };
    }
  }
}
