import "server-only";
import { isAppError } from "@/lib/errors";
import type { KeyStatus } from "@/lib/integrations/types";
import { describeSecret } from "@/lib/redact";
import type { AppResolution } from "@/server/apps/define";
import { scrubSecrets } from "@/server/apps/http";
import { getAppInstances } from "@/server/apps/instances";
import type { AppEnd } from "@/server/apps/links";
import type { EndsSnapshot } from "./ends";
import { secretsOf } from "./ends";

/**
 * Whether each app's API key (or login) is present and accepted by the app, asked with the one
 * authenticated read its module declares (`checkCredentials`), through the instance the prober
 * shares (so a login's back-off holds). Only "present, ends in …4f2a" ever leaves this module; a
 * 401/403 is "rejected", a missing key says where the panel looked, a key the cluster refuses the
 * panel to read is "forbidden" with the RBAC to grant. VPN clients' keys are shown with the VPN.
 */

function todo(end: AppEnd, resolution: AppResolution): string {
  const credential = resolution.module.credential;
  if (credential.type === "login") {
    return `Put ${credential.usernameKey}/${credential.passwordKey} in that Secret, or name variables in apps.credentials.${end.app}.`;
  }
  const key = credential.type === "api-key" ? credential.secretKey : "the key";
  return `Put ${key} (the app's key from its Settings > General) in that Secret, or name a variable in apps.credentials.${end.app}.apiKeyEnv.`;
}

/** The key status of every app that has a key or a login. */
export async function readKeyStatuses(snapshot: EndsSnapshot): Promise<KeyStatus[]> {
  const secrets = secretsOf(snapshot.ends);
  const checked = [...snapshot.ends.values()].flat().flatMap((end) => {
    const resolution = snapshot.resolutions.get(end.serviceId);
    const app = resolution?.module;
    return resolution && app && !app.isVpn && app.credential.type !== "none" ? [{ end, resolution }] : [];
  });
  const out = await Promise.all(
    checked.map(async ({ end, resolution }): Promise<KeyStatus> => {
      const login = resolution.module.credential.type === "login";
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
        const problem = end.credentialProblem ?? "Not configured.";
        if (resolution.credentialError === "forbidden") return { ...base, verdict: "forbidden", message: problem };
        if (resolution.credentialError === "unreadable") return { ...base, verdict: "unknown", message: problem };
        return { ...base, verdict: "missing", message: `${problem} ${todo(end, resolution)}` };
      }
      const instance = getAppInstances().get(resolution);
      if (!instance.checkCredentials) return { ...base, verdict: "unknown", message: `${end.name} has no check of its credential.` };
      try {
        await instance.checkCredentials({ signal: AbortSignal.timeout(end.timeoutMs) });
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
