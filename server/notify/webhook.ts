import "server-only";
import { z } from "zod";
import type { NotificationMessage } from "@/lib/alerts/message";
import { isAppError } from "@/lib/errors";
import { appMessagesOf, httpRequest, scrubSecrets, type HttpConnection } from "@/server/apps/http";
import { retryAfterMs, type DeliveryResult } from "./delivery";

/**
 * A generic JSON webhook: `POST <url>` with the notification as JSON (shape version 1, documented in
 * docs/alerts.md). Any 2xx is a delivery. Header values and a URL holding a token come from the
 * environment and never appear in a message.
 */

export interface WebhookOptions {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** The JSON a webhook receives. */
export function webhookBody(m: NotificationMessage & { id: number; createdAt: number }): Record<string, unknown> {
  return {
    version: 1,
    source: "k8s-nas-panel",
    id: m.id,
    event: m.event,
    alert: m.alertName,
    severity: m.severity,
    service: m.serviceId,
    title: m.title,
    message: m.message,
    links: { service: m.clickUrl, runbook: m.runbookUrl, alerts: m.alertsUrl },
    createdAt: new Date(m.createdAt).toISOString(),
  };
}

export class WebhookClient {
  private readonly conn: HttpConnection;
  private readonly path: string;

  constructor(private readonly options: WebhookOptions) {
    const u = new URL(options.url);
    this.path = `${u.pathname}${u.search}`;
    this.conn = { baseUrl: u.origin, timeoutMs: options.timeoutMs, appName: `webhook ${u.host}`, source: "webhook", secrets: [options.url, u.search.slice(1), u.pathname, ...Object.values(options.headers)] };
  }

  async post(message: NotificationMessage & { id: number; createdAt: number }, opts: { signal?: AbortSignal } = {}): Promise<DeliveryResult> {
    try {
      const res = await httpRequest(this.conn, {
        method: "POST",
        path: this.path,
        body: webhookBody(message),
        headers: this.options.headers,
        schema: z.unknown(),
        responseType: "text",
        acceptStatuses: [400, 401, 403, 404, 405, 408, 409, 410, 413, 422, 429, 500, 502, 503, 504],
        signal: opts.signal,
      });
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const said = appMessagesOf(String(res.data ?? "")).map((m) => scrubSecrets(m, this.conn.secrets));
      return {
        ok: false,
        error: `${this.conn.appName} answered HTTP ${res.status}${said.length > 0 ? `: ${said.join("; ")}` : ""}`,
        retryAfterMs: res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get("retry-after")) : undefined,
      };
    } catch (error) {
      return { ok: false, error: isAppError(error) ? scrubSecrets(error.message, this.conn.secrets) : `${this.conn.appName}: the delivery failed inside the panel` };
    }
  }
}
