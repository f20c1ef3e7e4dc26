import "server-only";
import { AppError } from "@/lib/errors";
import type { AppEnd, LinkContext, LinkDefinition, Observation, WriteResult } from "@/server/integrations/types";
import type { ArrFlavor } from "./client";
import { applyProvider, readProvider, type ProviderLinkSpec } from "./provider-link";
import { ArrProviderClient } from "./providers";

/**
 * Links held by Sonarr, Radarr and Lidarr: their download clients (qBittorrent, SABnzbd) and their
 * root folder. Each app's `integration.ts` instantiates them with its names.
 */

/** What differs between the media *arr apps for their links. */
export interface MediaArrNames {
  flavor: ArrFlavor & { id: "sonarr" | "radarr" | "lidarr" };
  /** Category field of its download clients: `tvCategory`, `movieCategory`, `musicCategory`. */
  categoryField: string;
}

/** A provider client for the app at `end`, called at its panel-side address. */
export function arrClient(flavor: ArrFlavor, end: AppEnd): ArrProviderClient {
  return new ArrProviderClient(flavor, { baseUrl: end.panelUrl, apiKey: end.apiKey, timeoutMs: end.timeoutMs });
}

function requireTarget(ctx: LinkContext): AppEnd {
  if (!ctx.to) throw new AppError("internal", "a download-client link needs a target app");
  return ctx.to;
}

/**
 * A download-client link of an *arr app: the target's in-cluster address and the app's category,
 * plus the client's own credential fields (entered blank: the apps mask secrets, so they are compared
 * through the app's `test` endpoint, and written from `secretValues`).
 */
function downloadClientSpec(
  n: MediaArrNames,
  ctx: LinkContext,
  implementation: "QBittorrent" | "Sabnzbd",
  credentials: ProviderLinkSpec["fields"],
  secretValues: ProviderLinkSpec["secretValues"],
): ProviderLinkSpec {
  const to = requireTarget(ctx);
  return {
    resource: "downloadclient",
    implementation,
    name: to.name,
    targetField: "host",
    namespace: ctx.from.namespace,
    fields: [
      { field: "host", label: "Host", value: to.inCluster.host, compare: "host" },
      { field: "port", label: "Port", value: to.inCluster.port },
      { field: "useSsl", label: "Use SSL", value: to.inCluster.scheme === "https" },
      { field: "urlBase", label: "URL base", value: to.inCluster.urlBase, compare: "path" },
      ...credentials,
      { field: n.categoryField, label: "Category", value: ctx.settings.categories[n.flavor.id] },
    ],
    properties: [{ field: "enable", label: "Enabled", value: true }],
    secretValues,
    appName: ctx.from.name,
    targetName: to.name,
    what: "download client",
  };
}

function qbittorrentSpec(n: MediaArrNames, ctx: LinkContext): ProviderLinkSpec {
  const to = requireTarget(ctx);
  return downloadClientSpec(
    n,
    ctx,
    "QBittorrent",
    [
      { field: "username", label: "Username", value: to.username ?? "" },
      { field: "password", label: "Password", value: "", secret: true },
    ],
    { password: to.password },
  );
}

function sabnzbdSpec(n: MediaArrNames, ctx: LinkContext): ProviderLinkSpec {
  const to = requireTarget(ctx);
  return downloadClientSpec(n, ctx, "Sabnzbd", [{ field: "apiKey", label: "API key", value: "", secret: true }], { apiKey: to.apiKey });
}

/** Why the panel must not push the target's credentials (missing, or refused by qBittorrent itself). */
async function credentialBlock(ctx: LinkContext, target: "qbittorrent" | "sabnzbd"): Promise<string | undefined> {
  const to = requireTarget(ctx);
  if (target === "sabnzbd") return to.apiKey ? undefined : `${to.name}'s API key is not available to the panel (${to.credentialProblem ?? "not configured"}).`;
  if (!to.password) return `${to.name}'s password is not available to the panel (${to.credentialProblem ?? "not configured"}).`;
  const login = await ctx.checkLogin(to);
  if (!login.ok) {
    return `${login.reason}. The panel will not write a login qBittorrent refuses into ${ctx.from.name} (qBittorrent bans addresses after failed logins): correct apps.credentials.qbittorrent or the Secret first.`;
  }
  return undefined;
}

/** `<app> -> qBittorrent` / `<app> -> SABnzbd`: the download client, with the app's category. */
export function downloadClientLink(n: MediaArrNames, target: "qbittorrent" | "sabnzbd"): LinkDefinition {
  const spec = (ctx: LinkContext) => (target === "qbittorrent" ? qbittorrentSpec(n, ctx) : sabnzbdSpec(n, ctx));
  return {
    id: `${n.flavor.id}->${target}`,
    kind: "download-client",
    from: n.flavor.id,
    to: target,
    title: "download client",
    phase: 1,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const obs = await readProvider(arrClient(n.flavor, ctx.from), spec(ctx), ctx, `${n.flavor.id}->${target}|${ctx.from.serviceId}`);
      if (obs.state === "ok") return obs;
      const blocked = await credentialBlock(ctx, target);
      return blocked ? { ...obs, blocked } : obs;
    },
    apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      return applyProvider(arrClient(n.flavor, ctx.from), spec(ctx), observation, ctx);
    },
  };
}

function formatBytes(n: number | null | undefined): string | undefined {
  if (n === null || n === undefined) return undefined;
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** `<app> -> root folder`: at least one root folder, accessible; the configured path is created when there is none. */
export function rootFolderLink(n: MediaArrNames): LinkDefinition {
  return {
    id: `${n.flavor.id}->rootfolder`,
    kind: "root-folder",
    from: n.flavor.id,
    to: "storage",
    targetName: "Root folder",
    title: "root folder",
    phase: 1,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const folders = await arrClient(n.flavor, ctx.from).listRootFolders({ signal: ctx.signal });
      const path = ctx.settings.rootFolders[n.flavor.id];
      if (folders.length === 0) {
        return {
          state: "missing",
          message: `${ctx.from.name} has no root folder.`,
          diff: [{ field: "path", label: "Path", current: null, desired: path }],
          fix: { verb: "create", words: `Add the root folder ${path} to ${ctx.from.name}.` },
        };
      }
      const facts = folders.map((f) => {
        const free = formatBytes(f.freeSpace);
        return `${f.path}: ${f.accessible === false ? "not accessible" : "accessible"}${free ? `, ${free} free` : ""}`;
      });
      if (!folders.some((f) => f.accessible !== false)) {
        return {
          state: "broken",
          message: `${ctx.from.name} reports ${folders.map((f) => f.path).join(", ")} not accessible: check the volume mounted at that path.`,
          diff: [],
          facts,
        };
      }
      return { state: "ok", diff: [], facts };
    },
    async apply(ctx: LinkContext): Promise<WriteResult> {
      const client = arrClient(n.flavor, ctx.from);
      const path = ctx.settings.rootFolders[n.flavor.id];
      const body: Record<string, unknown> = { path };
      if (n.flavor.id === "lidarr") {
        const [quality, metadata] = await Promise.all([client.listQualityProfiles({ signal: ctx.signal }), client.listMetadataProfiles({ signal: ctx.signal })]);
        body.name = "Music";
        if (quality[0]) body.defaultQualityProfileId = quality[0].id;
        if (metadata[0]) body.defaultMetadataProfileId = metadata[0].id;
      }
      await client.createRootFolder(body, { signal: ctx.signal });
      return { outcome: "created", changed: ["Path"], message: `Added the root folder ${path} to ${ctx.from.name}.` };
    },
  };
}

/** The links every media *arr app holds. */
export function mediaArrLinks(n: MediaArrNames): LinkDefinition[] {
  return [rootFolderLink(n), downloadClientLink(n, "qbittorrent"), downloadClientLink(n, "sabnzbd")];
}
