import "server-only";
import { describeDiff, diffFields, type DesiredField } from "@/lib/integrations/diff";
import type { PlanOption } from "@/lib/integrations/types";
import { AppError } from "@/lib/errors";
import { JellyfinClient } from "../jellyfin/client";
import { scrubSecrets } from "../http";
import type { AppEnd, LinkContext, LinkDefinition, Observation, WriteResult } from "../links";
import type { SeerrApp } from "./client";
import { SeerrSettingsClient, type DvrConnection, type DvrKind, type SeerrDvr, type SeerrDvrTest } from "./settings";

/**
 * The links Jellyseerr and Seerr hold: their Jellyfin server, and the Sonarr and Radarr servers
 * requests go to, with the quality profile and root folder picked from what Sonarr/Radarr offer
 * (the first by default, changeable in the preview).
 */

function client(app: SeerrApp, end: AppEnd): SeerrSettingsClient {
  return new SeerrSettingsClient(app, { baseUrl: end.panelUrl, apiKey: end.apiKey, timeoutMs: end.timeoutMs });
}

/**
 * The request targets of the family, by the segment of their settings API (`/settings/sonarr`):
 * what the link is called, and the fields a new server gets that only that kind of server has.
 */
const DVR: Record<DvrKind, { title: string; defaults(base: Record<string, unknown>): Record<string, unknown> }> = {
  sonarr: { title: "series requests", defaults: (base) => ({ enableSeasonFolders: (base.enableSeasonFolders as boolean | undefined) ?? true }) },
  radarr: { title: "movie requests", defaults: (base) => ({ minimumAvailability: (base.minimumAvailability as string | undefined) ?? "released" }) },
};

function target(ctx: LinkContext): AppEnd {
  if (!ctx.to) throw new AppError("internal", "a Jellyseerr or Seerr link needs a target app");
  return ctx.to;
}

function keyBlock(to: AppEnd): string | undefined {
  return to.apiKey ? undefined : `${to.name}'s API key is not available to the panel (${to.credentialProblem ?? "not configured"}).`;
}

function jellyfinLink(app: SeerrApp): LinkDefinition {
  const desired = (to: AppEnd): DesiredField[] => [
    { field: "ip", label: "Address", value: to.inCluster.host, compare: "host" },
    { field: "port", label: "Port", value: to.inCluster.port },
    { field: "useSsl", label: "SSL", value: to.inCluster.scheme === "https" },
    { field: "urlBase", label: "URL base", value: to.inCluster.urlBase, compare: "path" },
    { field: "apiKey", label: "API key", value: to.apiKey ?? "", secret: true },
  ];
  return {
    id: `${app.id}->jellyfin`,
    kind: "media-server",
    from: app.id,
    to: "jellyfin",
    title: "media server",
    phase: 2,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const to = target(ctx);
      const blocked = keyBlock(to);
      const settings = await client(app, ctx.from).getJellyfin({ signal: ctx.signal });
      const extra = blocked ? { blocked } : {};
      if (!settings.ip || !settings.serverId) {
        return {
          state: "missing",
          message: `${ctx.from.name} is not connected to a Jellyfin server.`,
          diff: [],
          fix: { verb: "create", words: `Connect ${ctx.from.name} to ${to.name} at ${to.inCluster.url} with its API key.` },
          ...extra,
        };
      }
      const diff = diffFields(desired(to), settings as Record<string, unknown>, { namespace: ctx.from.namespace });
      if (diff.length > 0) {
        return {
          state: "misconfigured",
          message: `${ctx.from.name}'s Jellyfin server differs: ${describeDiff(diff)}.`,
          diff,
          fix: { verb: "update", words: `Connect ${ctx.from.name} to ${to.name} again: ${describeDiff(diff)}.` },
          ...extra,
        };
      }
      const info = await new JellyfinClient({ baseUrl: to.panelUrl, timeoutMs: to.timeoutMs }).getPublicInfo({ signal: ctx.signal });
      if (info.data.Id && info.data.Id !== settings.serverId) {
        return {
          state: "broken",
          message: `${ctx.from.name} holds another Jellyfin server's id than ${to.name} reports: it was set up against a different server.`,
          diff: [],
          fix: { verb: "update", words: `Connect ${ctx.from.name} to ${to.name} again.` },
          ...extra,
        };
      }
      return { state: "ok", diff: [], facts: [`connected to the Jellyfin server "${settings.name ?? info.data.ServerName ?? ""}"`] };
    },
    async apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      const to = target(ctx);
      if (!to.apiKey) throw new AppError("invalid_input", `${to.name}'s API key is not available to the panel.`);
      await client(app, ctx.from).saveJellyfin(
        { ip: to.inCluster.host, port: to.inCluster.port, useSsl: to.inCluster.scheme === "https", urlBase: to.inCluster.urlBase, apiKey: to.apiKey },
        { signal: ctx.signal },
      );
      return {
        outcome: observation.state === "missing" ? "created" : "updated",
        changed: observation.diff.length > 0 ? observation.diff.map((d) => d.label) : ["Address", "Port", "URL base", "API key"],
        message: `Connected ${ctx.from.name} to ${to.name}.`,
      };
    },
  };
}

interface DvrHandle {
  existing?: SeerrDvr;
  test?: SeerrDvrTest;
}

function ourConnection(to: AppEnd): DvrConnection {
  return { hostname: to.inCluster.host, port: to.inCluster.port, apiKey: to.apiKey ?? "", useSsl: to.inCluster.scheme === "https", baseUrl: to.inCluster.urlBase };
}

function optionsOf(test: SeerrDvrTest | undefined, existing: SeerrDvr | undefined, plannedFolder: string): PlanOption[] {
  const profiles = test?.profiles ?? [];
  const folders = test?.rootFolders ?? [];
  const profileChoices = profiles.map((p) => ({ value: String(p.id), label: p.name ?? `profile ${p.id}` }));
  const folderChoices =
    folders.length > 0 ? folders.map((f) => ({ value: f.path, label: f.path })) : [{ value: plannedFolder, label: `${plannedFolder} (added by the root-folder fix)` }];
  const currentProfile = profileChoices.find((c) => c.value === String(existing?.activeProfileId ?? ""));
  const currentFolder = folderChoices.find((c) => c.value === existing?.activeDirectory);
  return [
    { name: "qualityProfile", label: "Quality profile", value: (currentProfile ?? profileChoices[0])?.value ?? "", choices: profileChoices },
    { name: "rootFolder", label: "Root folder", value: (currentFolder ?? folderChoices[0])?.value ?? "", choices: folderChoices },
  ];
}

function dvrLink(app: SeerrApp, kind: DvrKind): LinkDefinition {
  const desired = (to: AppEnd): DesiredField[] => [
    { field: "hostname", label: "Address", value: to.inCluster.host, compare: "host" },
    { field: "port", label: "Port", value: to.inCluster.port },
    { field: "baseUrl", label: "URL base", value: to.inCluster.urlBase, compare: "path" },
    { field: "useSsl", label: "SSL", value: to.inCluster.scheme === "https" },
    { field: "apiKey", label: "API key", value: to.apiKey ?? "", secret: true },
  ];
  return {
    id: `${app.id}->${kind}`,
    kind: "request-target",
    from: app.id,
    to: kind,
    title: DVR[kind].title,
    phase: 2,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const to = target(ctx);
      const c = client(app, ctx.from);
      const servers = await c.listServers(kind, { signal: ctx.signal });
      const host = to.inCluster.host;
      const existing =
        servers.find((s) => s.hostname && diffFields([{ field: "h", label: "h", value: host, compare: "host" }], { h: s.hostname }, { namespace: ctx.from.namespace }).length === 0) ??
        servers.find((s) => (s.name ?? "").toLowerCase() === to.name.toLowerCase());
      const planned = ctx.settings.rootFolders[kind];
      const blocked = keyBlock(to);
      const secrets = [...ctx.secrets];
      if (!existing) {
        const test = to.apiKey ? await c.testServer(kind, ourConnection(to), { signal: ctx.signal }) : undefined;
        const testBlock = test && !test.ok ? `${ctx.from.name} cannot reach ${to.name} with the configured address and key: ${scrubSecrets(test.message, secrets)}` : undefined;
        const why = blocked ?? testBlock;
        return {
          state: "missing",
          message: `${ctx.from.name} has no ${to.name} server.`,
          diff: [],
          fix: { verb: "create", words: `Add ${to.name} (${to.inCluster.url}) to ${ctx.from.name} as the default server, with the quality profile and root folder chosen below.` },
          options: optionsOf(test?.ok ? test.data : undefined, undefined, planned),
          handle: { test: test?.ok ? test.data : undefined } satisfies DvrHandle,
          ...(why ? { blocked: why } : {}),
        };
      }
      const diff = diffFields(desired(to), existing as Record<string, unknown>, { namespace: ctx.from.namespace });
      const name = existing.name ?? to.name;
      if (diff.length > 0) {
        const test = to.apiKey ? await c.testServer(kind, ourConnection(to), { signal: ctx.signal }) : undefined;
        return {
          state: "misconfigured",
          message: `${ctx.from.name}'s server "${name}" differs: ${describeDiff(diff)}.`,
          diff,
          fix: { verb: "update", words: `Update the server "${name}" in ${ctx.from.name}: ${describeDiff(diff)}.` },
          options: optionsOf(test?.ok ? test.data : undefined, existing, planned),
          handle: { existing, test: test?.ok ? test.data : undefined } satisfies DvrHandle,
          ...(blocked ? { blocked } : {}),
        };
      }
      const test = await c.testServer(
        kind,
        { hostname: existing.hostname ?? host, port: existing.port ?? to.inCluster.port, apiKey: existing.apiKey ?? "", useSsl: existing.useSsl ?? false, baseUrl: existing.baseUrl ?? "" },
        { signal: ctx.signal },
      );
      if (!test.ok) {
        const said = scrubSecrets(test.message, secrets);
        return {
          state: "broken",
          message: `${ctx.from.name}'s test of "${name}" fails: ${said}`,
          appMessages: [said],
          diff: [],
          fix: { verb: "update", words: `Write the server "${name}" in ${ctx.from.name} again.` },
          options: optionsOf(undefined, existing, planned),
          handle: { existing } satisfies DvrHandle,
          ...(blocked ? { blocked } : {}),
        };
      }
      const choiceDiff = [];
      if (!test.data.profiles.some((p) => p.id === existing.activeProfileId)) {
        choiceDiff.push({ field: "activeProfileId", label: "Quality profile", current: existing.activeProfileName ?? String(existing.activeProfileId ?? ""), desired: test.data.profiles[0]?.name ?? null });
      }
      if (!test.data.rootFolders.some((f) => f.path === existing.activeDirectory)) {
        choiceDiff.push({ field: "activeDirectory", label: "Root folder", current: existing.activeDirectory ?? null, desired: test.data.rootFolders[0]?.path ?? planned });
      }
      if (choiceDiff.length > 0) {
        return {
          state: "misconfigured",
          message: `${ctx.from.name}'s server "${name}" uses a profile or folder ${to.name} no longer has: ${describeDiff(choiceDiff)}.`,
          diff: choiceDiff,
          fix: { verb: "update", words: `Pick a quality profile and root folder ${to.name} has for "${name}".` },
          options: optionsOf(test.data, undefined, planned),
          handle: { existing, test: test.data } satisfies DvrHandle,
        };
      }
      return {
        state: "ok",
        diff: [],
        facts: [`"${name}" tested by ${ctx.from.name}: OK`, `profile ${existing.activeProfileName ?? existing.activeProfileId}, folder ${existing.activeDirectory}`],
        handle: { existing, test: test.data } satisfies DvrHandle,
      };
    },
    async apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      const to = target(ctx);
      if (!to.apiKey) throw new AppError("invalid_input", `${to.name}'s API key is not available to the panel.`);
      const c = client(app, ctx.from);
      const handle = (observation.handle ?? {}) as DvrHandle;
      const test = handle.test ?? (await c.testServer(kind, ourConnection(to), { signal: ctx.signal }).then((t) => (t.ok ? t.data : undefined)));
      if (!test) throw new AppError("unreachable", `${ctx.from.name} cannot reach ${to.name} to list its profiles and root folders.`, { source: app.id });
      const profileId = ctx.choices.qualityProfile && test.profiles.some((p) => String(p.id) === ctx.choices.qualityProfile) ? Number(ctx.choices.qualityProfile) : test.profiles[0]?.id;
      const profile = test.profiles.find((p) => p.id === profileId);
      const folder =
        ctx.choices.rootFolder && test.rootFolders.some((f) => f.path === ctx.choices.rootFolder) ? ctx.choices.rootFolder : test.rootFolders[0]?.path;
      if (profile === undefined || folder === undefined) {
        throw new AppError("invalid_input", `${to.name} offers ${profile === undefined ? "no quality profile" : "no root folder"} yet: add one in ${to.name} first.`, { source: app.id });
      }
      const conn = ourConnection(to);
      const base: Record<string, unknown> = handle.existing ? { ...handle.existing } : {};
      delete base.id;
      const body: Record<string, unknown> = {
        ...base,
        name: handle.existing?.name ?? to.name,
        ...conn,
        activeProfileId: profile.id,
        activeProfileName: profile.name ?? `profile ${profile.id}`,
        activeDirectory: folder,
        is4k: handle.existing?.is4k ?? false,
        isDefault: handle.existing?.isDefault ?? true,
        ...DVR[kind].defaults(base),
      };
      if (handle.existing) await c.updateServer(kind, handle.existing.id, body, { signal: ctx.signal });
      else await c.createServer(kind, body, { signal: ctx.signal });
      return {
        outcome: handle.existing ? "updated" : "created",
        changed: [...(observation.diff.length > 0 ? observation.diff.map((d) => d.label) : ["Address", "Port", "URL base", "API key"]), "Quality profile", "Root folder"],
        message: `${handle.existing ? "Updated" : "Added"} ${to.name} in ${ctx.from.name} (profile ${profile.name ?? profile.id}, folder ${folder}).`,
      };
    },
  };
}

/** The links of Jellyseerr (or Seerr). */
export function seerrLinks(app: SeerrApp): LinkDefinition[] {
  return [jellyfinLink(app), dvrLink(app, "sonarr"), dvrLink(app, "radarr")];
}
