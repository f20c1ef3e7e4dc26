import "server-only";
import type { NotificationTargetConfig, PanelConfig } from "@/lib/config-schema";
import type { NotificationTarget } from "./delivery";
import { NtfyClient } from "./ntfy";
import { WebhookClient } from "./webhook";

/**
 * The configured notification targets, with their secrets read from the environment. A target
 * whose variable is missing is still listed (its messages wait, and the Settings page says which
 * variable to set).
 */
export function resolveTargets(config: Pick<PanelConfig, "notifications">, env: Record<string, string | undefined>): NotificationTarget[] {
  const timeoutMs = config.notifications.timeoutMs;
  return config.notifications.targets.map((t) => resolveTarget(t, env, timeoutMs));
}

function missing(name: string, variable: string): string {
  return `the variable ${variable} that ${name} names is not set in the panel's environment`;
}

function resolveTarget(t: NotificationTargetConfig, env: Record<string, string | undefined>, timeoutMs: number): NotificationTarget {
  if (t.type === "ntfy") {
    const topic = t.topic ?? (t.topicEnv ? env[t.topicEnv] : undefined);
    const token = t.tokenEnv ? env[t.tokenEnv] : undefined;
    const problem = !topic && t.topicEnv ? missing(`topicEnv`, t.topicEnv) : t.tokenEnv && !token ? missing("tokenEnv", t.tokenEnv) : undefined;
    const destination = `ntfy ${t.url.replace(/\/+$/, "")}, topic ${t.topic ?? `from ${t.topicEnv}`}${t.tokenEnv ? `, token from ${t.tokenEnv}` : ""}`;
    const client = topic ? new NtfyClient({ url: t.url, topic, token, priorities: t.priorities, timeoutMs }) : undefined;
    return {
      name: t.name,
      type: "ntfy",
      destination,
      minSeverity: t.minSeverity,
      ...(problem ? { problem } : {}),
      send: async (m, opts) => (client && !problem ? client.publish(m, opts) : { ok: false, error: `not sent: ${problem ?? "no topic"}` }),
    };
  }
  const url = t.url ?? (t.urlEnv ? env[t.urlEnv] : undefined);
  const headers: Record<string, string> = {};
  let problem = !url && t.urlEnv ? missing("urlEnv", t.urlEnv) : undefined;
  for (const h of t.headers) {
    const value = env[h.valueEnv];
    if (value === undefined) problem ??= missing(`the header ${h.name}`, h.valueEnv);
    else headers[h.name] = value;
  }
  let client: WebhookClient | undefined;
  if (url && !problem) {
    try {
      client = new WebhookClient({ url, headers, timeoutMs });
    } catch {
      problem = `the URL in ${t.urlEnv ?? "url"} is not a valid URL`;
    }
  }
  const destination = t.url ? `webhook ${new URL(t.url).origin}` : `webhook, URL from ${t.urlEnv}`;
  return {
    name: t.name,
    type: "webhook",
    destination: `${destination}${t.headers.length > 0 ? ` (headers ${t.headers.map((h) => `${h.name} from ${h.valueEnv}`).join(", ")})` : ""}`,
    minSeverity: t.minSeverity,
    ...(problem ? { problem } : {}),
    send: async (m, opts) => (client ? client.post(m, opts) : { ok: false, error: `not sent: ${problem ?? "no URL"}` }),
  };
}
