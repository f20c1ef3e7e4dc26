import "server-only";
import { z } from "zod";
import { isAppError } from "@/lib/errors";
import type { KeyStatus } from "@/lib/integrations/types";
import { describeSecret } from "@/lib/redact";
import type { AppKind } from "@/lib/apps/catalogue";
import { ArrClient, type ArrFlavor } from "@/server/apps/arr/client";
import { BazarrClient } from "@/server/apps/bazarr/client";
import { httpRequest, scrubSecrets } from "@/server/apps/http";
import { getAppInstances } from "@/server/apps/instances";
import { LIDARR_FLAVOR } from "@/server/apps/lidarr/client";
import { PROWLARR_FLAVOR } from "@/server/apps/prowlarr/client";
import { QbittorrentClient } from "@/server/apps/qbittorrent/client";
import { RADARR_FLAVOR } from "@/server/apps/radarr/client";
import { SabnzbdClient } from "@/server/apps/sabnzbd/client";
import { SeerrSettingsClient } from "@/server/apps/seerr-api/settings";
import { SONARR_FLAVOR } from "@/server/apps/sonarr/client";
import type { EndsSnapshot } from "./ends";
import { secretsOf } from "./ends";
import type { AppEnd } from "./types";

/**
 * Whether each app's API key (qBittorrent: its login) is present and accepted by the app, asked with
 * one authenticated read. Only "present, ends in …4f2a" ever leaves this module; a 401/403 is
 * "rejected", a missing key says where the panel looked.
 */

const ARR: Partial<Record<AppKind, ArrFlavor>> = { sonarr: SONARR_FLAVOR, radarr: RADARR_FLAVOR, lidarr: LIDARR_FLAVOR, prowlarr: PROWLARR_FLAVOR };

/** One authenticated read of the app; throws the app's AppError when refused. */
async function askWithKey(end: AppEnd, signal: AbortSignal): Promise<void> {
  const arr = ARR[end.app];
  if (arr) {
    await new ArrClient(arr, { baseUrl: end.panelUrl, apiKey: end.apiKey, timeoutMs: end.timeoutMs }).getSystemStatus({ signal });
    return;
  }
  switch (end.app) {
    case "bazarr":
      await new BazarrClient({ baseUrl: end.panelUrl, apiKey: end.apiKey, timeoutMs: end.timeoutMs }).getStatus({ signal });
      return;
    case "sabnzbd":
      await new SabnzbdClient({ baseUrl: end.panelUrl, apiKey: end.apiKey, timeoutMs: end.timeoutMs }).getQueue({ signal });
      return;
    case "jellyseerr":
    case "seerr":
      await new SeerrSettingsClient({ id: end.app, appName: end.app === "seerr" ? "Seerr" : "Jellyseerr" }, { baseUrl: end.panelUrl, apiKey: end.apiKey, timeoutMs: end.timeoutMs }).checkKey({ signal });
      return;
    case "jellyfin":
      // `GET /System/Info` (operation `GetSystemInfo`) needs a valid key; the public info does not.
      await httpRequest(
        { baseUrl: end.panelUrl, timeoutMs: end.timeoutMs, appName: "Jellyfin", source: "jellyfin", secrets: [end.apiKey] },
        { path: "/System/Info", schema: z.unknown(), headers: { authorization: `MediaBrowser Token="${end.apiKey ?? ""}"` }, signal },
      );
      return;
    default:
      return;
  }
}

async function loginStatus(end: AppEnd, signal: AbortSignal): Promise<void> {
  if (!end.resolution) return;
  const client = getAppInstances().get(end.resolution).client;
  if (client instanceof QbittorrentClient) await client.getTransferInfo({ signal });
}

/** The key status of every app that has a key or a login (Gluetun's keys are on the VPN panel). */
export async function readKeyStatuses(snapshot: EndsSnapshot): Promise<KeyStatus[]> {
  const secrets = secretsOf(snapshot.ends);
  const ends = [...snapshot.ends.values()].flat().filter((e) => e.resolution && e.app !== "gluetun" && (e.resolution.module.apiKey || e.resolution.module.login));
  const out = await Promise.all(
    ends.map(async (end): Promise<KeyStatus> => {
      const login = end.resolution?.module.login !== undefined;
      const value = login ? end.password : end.apiKey;
      const base = {
        app: end.app,
        service: end.serviceId,
        name: end.name,
        credential: login ? ("login" as const) : ("api key" as const),
        present: Boolean(value),
        hint: login ? (value ? `user ${end.username ?? "?"}, password present` : "missing") : describeSecret(value),
        ...(end.credentialSource ? { source: end.credentialSource } : {}),
      };
      if (!value) {
        const todo = login
          ? `Put QBITTORRENT_USERNAME/QBITTORRENT_PASSWORD in that Secret, or name variables in apps.credentials.${end.app}.`
          : `Put ${end.resolution?.module.apiKey?.secretKey ?? "the key"} (the app's key from its Settings > General) in that Secret, or name a variable in apps.credentials.${end.app}.apiKeyEnv.`;
        return { ...base, verdict: "missing", message: `${end.credentialProblem ?? "Not configured."} ${todo}` };
      }
      const signal = AbortSignal.timeout(end.timeoutMs);
      try {
        if (login) await loginStatus(end, signal);
        else await askWithKey(end, signal);
        return { ...base, verdict: "accepted", message: `${end.name} accepts it.` };
      } catch (error) {
        const message = scrubSecrets(isAppError(error) ? error.message : "the check failed inside the panel", secrets);
        const refused = isAppError(error) && (error.code === "unauthorized" || error.code === "forbidden");
        return { ...base, verdict: refused ? "rejected" : "unknown", message };
      }
    }),
  );
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
