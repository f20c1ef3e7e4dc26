import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { httpRequest, type HttpConnection, type HttpResult } from "../http";
import { sabErrorSchema, sabQueueSchema, sabVersionSchema, sabWarningsSchema, type SabQueue, type SabWarning } from "./schemas";

/** Options of one SABnzbd client instance. */
export interface SabnzbdClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

interface CallOptions {
  signal?: AbortSignal;
}

/**
 * Client of one SABnzbd instance: `GET <url_base>/api?mode=...&output=json&apikey=...`. The key
 * travels in the query (SABnzbd's only way), so messages never include the query.
 */
export class SabnzbdClient {
  private readonly conn: HttpConnection;
  private readonly apiKey: string | undefined;

  constructor(options: SabnzbdClientOptions) {
    this.apiKey = options.apiKey;
    this.conn = {
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      appName: "SABnzbd",
      source: "sabnzbd",
      secrets: [options.apiKey],
      unauthorizedStatuses: [401, 403],
    };
  }

  /** `mode=version` (no key). */
  async getVersion(options: CallOptions = {}): Promise<HttpResult<string>> {
    const r = await this.request("version", sabVersionSchema, options, false);
    return { ...r, data: r.data.version };
  }

  /** `mode=queue`: status (Downloading, Idle, Paused), items, speed. */
  async getQueue(options: CallOptions = {}): Promise<HttpResult<SabQueue>> {
    const r = await this.request("queue", sabQueueSchema, options, true);
    return { ...r, data: r.data.queue };
  }

  /** `mode=warnings`: the warnings and errors SABnzbd shows in its interface. */
  async getWarnings(options: CallOptions = {}): Promise<HttpResult<SabWarning[]>> {
    const r = await this.request("warnings", sabWarningsSchema, options, true);
    return { ...r, data: r.data.warnings };
  }

  /** The one request path: adds `output=json` and the key, and turns `{status:false,error}` into an AppError. */
  private async request<T>(mode: string, schema: z.ZodType<T>, options: CallOptions, withKey: boolean): Promise<HttpResult<T>> {
    const r = await httpRequest(this.conn, {
      path: "/api",
      query: { mode, output: "json", apikey: withKey ? this.apiKey : undefined },
      schema: z.union([schema, sabErrorSchema, z.string()]),
      signal: options.signal,
    });
    const data = r.data;
    if (typeof data === "string" || (typeof data === "object" && data !== null && (data as { status?: unknown }).status === false)) {
      const message = typeof data === "string" ? data : (data as z.infer<typeof sabErrorSchema>).error;
      if (/api key/i.test(message)) {
        throw new AppError("unauthorized", `SABnzbd rejected the API key (${message.slice(0, 60)})`, { source: "sabnzbd" });
      }
      throw new AppError("invalid_response", `SABnzbd answered mode=${mode} with an error: ${message.slice(0, 200)}`, { source: "sabnzbd" });
    }
    return { ...r, data: data as T };
  }
}
