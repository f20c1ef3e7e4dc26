import { readLabIntegrationJson } from "./lab-integrations";

/** The lab's Prometheus, Alertmanager and ntfy simulator as lab.json records them. */
export interface LabAlerting {
  prometheus?: string;
  alertmanager?: string;
  ntfy?: { url: string; controlUrl: string; topic: string; token: string };
}

export function readLabAlerting(root: string): LabAlerting | undefined {
  const lab = readLabIntegrationJson(root) as { apps?: Record<string, Record<string, unknown>> } | undefined;
  const apps = lab?.apps;
  if (!apps) return undefined;
  const url = (id: string) => (typeof apps[id]?.url === "string" ? (apps[id].url as string) : undefined);
  const ntfy = apps.ntfy as LabAlerting["ntfy"] | undefined;
  return { prometheus: url("prometheus"), alertmanager: url("alertmanager"), ntfy: ntfy && typeof ntfy.url === "string" ? ntfy : undefined };
}

/** How many probes the e2e panel's detector waits for (5 s apart) before it reports a service down. */
export const E2E_DOWN_PROBES = 3;

/**
 * Alerting settings of the e2e panel: the lab's Prometheus and Alertmanager, polled every 5 s, and
 * the ntfy simulator as the notification target (the token through an environment variable).
 */
export function labAlertingConfigLines(a: LabAlerting): string[] {
  return [
    "alerts:",
    ...(a.prometheus ? [`  prometheus: { url: "${a.prometheus}" }`] : []),
    ...(a.alertmanager ? [`  alertmanager: { url: "${a.alertmanager}" }`] : []),
    "  pollSeconds: 5",
    // The lab's Prometheus evaluates every 5 s: a rule's `for` of minutes would only slow the tests down.
    '  rules: { serviceDownFor: "20s" }',
    `  detector: { downProbes: ${E2E_DOWN_PROBES}, recoveryProbes: 2, degraded: false, repeatMinutes: 60 }`,
    ...(a.ntfy
      ? [
          "notifications:",
          "  timeoutMs: 3000",
          "  targets:",
          `    - { type: ntfy, name: phone, url: "${a.ntfy.url}", topic: "${a.ntfy.topic}", tokenEnv: PANEL_NTFY_TOKEN, minSeverity: warning }`,
        ]
      : []),
  ];
}

export function labAlertingEnv(a: LabAlerting): Record<string, string> {
  return a.ntfy ? { PANEL_NTFY_TOKEN: a.ntfy.token } : {};
}
