import "server-only";
import { describeDiff, diffFields, type DesiredField } from "@/lib/integrations/diff";
import { AppError } from "@/lib/errors";
import { scrubSecrets } from "../http";
import type { AppEnd, LinkContext, LinkDefinition, Observation, WriteResult } from "../links";
import { BazarrSettingsClient } from "./settings";

/**
 * Bazarr -> Sonarr and Bazarr -> Radarr: the connection in Bazarr's settings (`use_sonarr`, `ip`,
 * `port`, `base_url`, `ssl`, `apikey`), verified with Bazarr's own connection test.
 */

function client(ctx: LinkContext): BazarrSettingsClient {
  return new BazarrSettingsClient({ baseUrl: ctx.from.panelUrl, apiKey: ctx.from.apiKey, timeoutMs: ctx.from.timeoutMs, secrets: [...ctx.secrets] });
}

function target(ctx: LinkContext): AppEnd {
  if (!ctx.to) throw new AppError("internal", "a Bazarr link needs a target app");
  return ctx.to;
}

function desired(to: AppEnd): DesiredField[] {
  return [
    { field: "ip", label: "Address", value: to.inCluster.host, compare: "host" },
    { field: "port", label: "Port", value: to.inCluster.port },
    { field: "base_url", label: "URL base", value: to.inCluster.urlBase, compare: "path" },
    { field: "ssl", label: "SSL", value: to.inCluster.scheme === "https" },
    { field: "apikey", label: "API key", value: to.apiKey ?? "", secret: true },
  ];
}

function bazarrLink(app: "sonarr" | "radarr"): LinkDefinition {
  return {
    id: `bazarr->${app}`,
    kind: "subtitles",
    from: "bazarr",
    to: app,
    title: "subtitles source",
    phase: 2,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const to = target(ctx);
      const blocked = to.apiKey ? undefined : `${to.name}'s API key is not available to the panel (${to.credentialProblem ?? "not configured"}).`;
      const settings = await client(ctx).getArrSettings({ signal: ctx.signal });
      const fix = (verb: "create" | "update", words: string) => ({ fix: { verb, words }, ...(blocked ? { blocked } : {}) });
      if (!settings.enabled[app]) {
        return {
          state: "missing",
          message: `${ctx.from.name} does not use ${to.name}.`,
          diff: [{ field: `use_${app}`, label: `Use ${to.name}`, current: "false", desired: "true" }],
          ...fix("create", `Turn on ${to.name} in ${ctx.from.name} with its in-cluster address ${to.inCluster.url} and its API key.`),
        };
      }
      const diff = diffFields(desired(to), settings[app] as Record<string, unknown>, { namespace: ctx.from.namespace });
      if (diff.length > 0) {
        return {
          state: "misconfigured",
          message: `${ctx.from.name}'s ${to.name} connection differs: ${describeDiff(diff)}.`,
          diff,
          ...fix("update", `Update ${ctx.from.name}'s ${to.name} connection: ${describeDiff(diff)}.`),
        };
      }
      const host = `${to.inCluster.host}:${to.inCluster.port}${to.inCluster.urlBase}/api/v3/system/status?apikey=${encodeURIComponent(to.apiKey ?? "")}`;
      const test = await client(ctx).testConnection(to.inCluster.scheme, host, { signal: ctx.signal });
      if (!test.status) {
        const said = scrubSecrets(test.error ?? "the test failed", [...ctx.secrets]);
        return {
          state: "broken",
          message: `${ctx.from.name}'s test of ${to.name} fails: ${said}`,
          appMessages: [said],
          diff: [],
          ...fix("update", `Write ${ctx.from.name}'s ${to.name} connection again.`),
        };
      }
      return { state: "ok", diff: [], facts: [`${ctx.from.name} reaches ${to.name} ${test.version ?? ""}`.trim()] };
    },
    async apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      const to = target(ctx);
      if (!to.apiKey) throw new AppError("invalid_input", `${to.name}'s API key is not available to the panel.`);
      await client(ctx).saveSettings(
        {
          [`settings-general-use_${app}`]: "true",
          [`settings-${app}-ip`]: to.inCluster.host,
          [`settings-${app}-port`]: String(to.inCluster.port),
          [`settings-${app}-base_url`]: to.inCluster.urlBase || "/",
          [`settings-${app}-ssl`]: String(to.inCluster.scheme === "https"),
          [`settings-${app}-apikey`]: to.apiKey,
        },
        { signal: ctx.signal },
      );
      const changed = observation.diff.length > 0 ? observation.diff.map((d) => d.label) : ["Address", "Port", "URL base", "API key"];
      return { outcome: observation.state === "missing" ? "created" : "updated", changed, message: `Saved ${ctx.from.name}'s ${to.name} connection.` };
    },
  };
}

/** The links Bazarr holds. */
export const bazarrLinks: LinkDefinition[] = [bazarrLink("sonarr"), bazarrLink("radarr")];
