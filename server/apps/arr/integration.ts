import "server-only";
import type { LibraryAppKind } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import type { CallContext, AppModule } from "../define";
import type { AppEnd, LinkContext, LinkDefinition, Observation, WriteResult } from "../links";
import type { ArrFlavor } from "./client";
import { applyProvider, readProvider, type ProviderLinkSpec } from "./provider-link";
import { ArrProviderClient } from "./providers";

/**
 * Links held by the *arr apps that manage a library (Sonarr, Radarr, Lidarr): their root folder,
 * and a download client for every app with the download-client role (qBittorrent, SABnzbd).
 */

/** What a library *arr app adds to its flavor for its links. */
export interface ArrLibrary {
  /** Category field of its download clients: `tvCategory`, `movieCategory`, `musicCategory`. */
  categoryField: string;
  /**
   * What a new root folder needs besides its path (Lidarr: a name and default quality and metadata
   * profiles, which it checks exist). Nothing by default.
   */
  rootFolder?: (client: ArrProviderClient, ctx: CallContext) => Promise<Record<string, unknown>>;
}

/**
 * The root folder of an app that needs a name and default quality and metadata profiles that exist
 * (the `RootFolderController` of Lidarr and Readarr): named `name`, with the first profiles the app
 * offers.
 */
export function rootFolderWithProfiles(name: string): NonNullable<ArrLibrary["rootFolder"]> {
  return async (client, ctx) => {
    const [quality, metadata] = await Promise.all([client.listQualityProfiles(ctx), client.listMetadataProfiles(ctx)]);
    return {
      name,
      ...(quality[0] ? { defaultQualityProfileId: quality[0].id } : {}),
      ...(metadata[0] ? { defaultMetadataProfileId: metadata[0].id } : {}),
    };
  };
}

/** A library *arr app: its flavor (with its library kind) and library facts. */
export interface LibraryArr {
  flavor: ArrFlavor & { id: LibraryAppKind };
  library: ArrLibrary;
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
 * The download client for `target` in an *arr app: the target's in-cluster address and the app's
 * category, plus the target's credential fields (its login, or its key). Most apps mask secrets,
 * so they are checked through the app's `test` endpoint; an app that returns them in clear has them
 * compared with the ones the panel holds. They are written from `secretValues`.
 */
function downloadClientSpec(app: LibraryArr, target: AppModule, implementation: string, ctx: LinkContext): ProviderLinkSpec {
  const to = requireTarget(ctx);
  const login = target.credential.type === "login";
  const credentials: ProviderLinkSpec["fields"] = login
    ? [
        { field: "username", label: "Username", value: to.username ?? "" },
        { field: "password", label: "Password", value: to.password ?? "", secret: true },
      ]
    : target.credential.type === "api-key"
      ? [{ field: "apiKey", label: "API key", value: to.apiKey ?? "", secret: true }]
      : [];
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
      { field: app.library.categoryField, label: "Category", value: ctx.settings.categories[app.flavor.id] },
    ],
    properties: [{ field: "enable", label: "Enabled", value: true }],
    secretValues: login ? { password: to.password } : { apiKey: to.apiKey },
    appName: ctx.from.name,
    targetName: to.name,
    what: "download client",
  };
}

/** Why the panel must not push the target's credential: missing, or refused by the target itself. */
async function credentialBlock(ctx: LinkContext, target: AppModule): Promise<string | undefined> {
  const to = requireTarget(ctx);
  const why = to.credentialProblem ?? "not configured";
  if (target.credential.type === "api-key") return to.apiKey ? undefined : `${to.name}'s API key is not available to the panel (${why}).`;
  if (target.credential.type !== "login") return undefined;
  if (!to.password) return `${to.name}'s password is not available to the panel (${why}).`;
  const login = await ctx.checkLogin(to);
  if (!login.ok) {
    return `${login.reason}. The panel will not write a login ${to.name} refuses into ${ctx.from.name} (${to.name} bans addresses after failed logins): correct apps.credentials.${to.app} or the Secret first.`;
  }
  return undefined;
}

/** `<app> -> <download client>`: the download client, with the app's category. */
export function downloadClientLink(app: LibraryArr, target: AppModule): LinkDefinition {
  const implementation = target.downloadClient?.implementation;
  if (!implementation) throw new AppError("internal", `${target.displayName} has no download-client role`);
  const spec = (ctx: LinkContext) => downloadClientSpec(app, target, implementation, ctx);
  const id = `${app.flavor.id}->${target.id}`;
  return {
    id,
    kind: "download-client",
    from: app.flavor.id,
    to: target.id,
    title: "download client",
    phase: 1,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const obs = await readProvider(arrClient(app.flavor, ctx.from), spec(ctx), ctx, `${id}|${ctx.from.serviceId}`);
      if (obs.state === "ok") return obs;
      const blocked = await credentialBlock(ctx, target);
      return blocked ? { ...obs, blocked } : obs;
    },
    apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      return applyProvider(arrClient(app.flavor, ctx.from), spec(ctx), observation, ctx);
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
export function rootFolderLink(app: LibraryArr): LinkDefinition {
  const { flavor, library } = app;
  return {
    id: `${flavor.id}->rootfolder`,
    kind: "root-folder",
    from: flavor.id,
    to: "storage",
    targetName: "Root folder",
    title: "root folder",
    phase: 1,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const folders = await arrClient(flavor, ctx.from).listRootFolders({ signal: ctx.signal });
      const path = ctx.settings.rootFolders[flavor.id];
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
      const client = arrClient(flavor, ctx.from);
      const path = ctx.settings.rootFolders[flavor.id];
      const extra = library.rootFolder ? await library.rootFolder(client, { signal: ctx.signal }) : {};
      await client.createRootFolder({ ...extra, path }, { signal: ctx.signal });
      return { outcome: "created", changed: ["Path"], message: `Added the root folder ${path} to ${ctx.from.name}.` };
    },
  };
}

/** The links a library *arr app holds: its root folder, and a download client per app with that role. */
export function libraryLinks(app: LibraryArr, apps: readonly AppModule[]): LinkDefinition[] {
  return [rootFolderLink(app), ...apps.filter((m) => m.downloadClient !== undefined).map((m) => downloadClientLink(app, m))];
}
