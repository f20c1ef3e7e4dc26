import { documentsOf, type ManifestContainer, type ManifestWorkload } from "./workloads";
import { normalizeUrlBase } from "@/lib/url-base";
import { dirOf, yamlFilesUnder, type RepoView } from "./repo-view";

/** A URL base and where it was read. */
export interface UrlBase {
  value: string;
  source: string;
}

const URL_BASE_ENV = /(__SERVER__URLBASE|^URL_?BASE$|^BASE_?URL$|_URL_?BASE$)/i;

function fromUrl(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

/**
 * The URL base an app serves under, read from the repository the way the user's manifests set it:
 * an environment variable (`SONARR__SERVER__URLBASE`, `URL_BASE`...), Grafana's sub-path settings
 * (`GF_SERVER_ROOT_URL` with `GF_SERVER_SERVE_FROM_SUB_PATH=true`), Prometheus' `--web.route-prefix` or
 * `--web.external-url`, an init container writing `<UrlBase>` into config.xml, or a ConfigMap next to
 * the workload with a `...BaseUrl` key (Jellyfin's network.xml overrides). The settings are each
 * app's own names, so they are looked for whatever the app.
 */
export function detectUrlBase(repo: RepoView, workload: ManifestWorkload, container: ManifestContainer): UrlBase {
  for (const env of container.env) {
    if (env.value !== undefined && URL_BASE_ENV.test(env.name)) {
      return { value: normalizeUrlBase(env.value), source: `environment variable ${env.name}` };
    }
  }
  const subPath = container.env.find((e) => e.name === "GF_SERVER_SERVE_FROM_SUB_PATH")?.value;
  const rootUrl = container.env.find((e) => e.name === "GF_SERVER_ROOT_URL")?.value;
  if (subPath === "true" && rootUrl) {
    const path = fromUrl(rootUrl.replace(/%\(\w+\)s/g, "x"));
    if (path !== undefined) return { value: normalizeUrlBase(path), source: "GF_SERVER_ROOT_URL with GF_SERVER_SERVE_FROM_SUB_PATH" };
  }
  for (const arg of container.args) {
    const prefix = /^--web\.route-prefix=(.*)$/.exec(arg)?.[1];
    if (prefix !== undefined) return { value: normalizeUrlBase(prefix), source: "--web.route-prefix" };
  }
  for (const arg of container.args) {
    const external = /^--web\.external-url=(.*)$/.exec(arg)?.[1];
    const path = external ? fromUrl(external) : undefined;
    if (path !== undefined) return { value: normalizeUrlBase(path), source: "--web.external-url" };
  }
  for (const init of workload.initContainers) {
    const script = [...init.command, ...init.args].join("\n");
    const m = /<UrlBase>([^<]*)<\/UrlBase>/.exec(script);
    if (m) return { value: normalizeUrlBase(m[1] ?? ""), source: `init container ${init.name} (config.xml <UrlBase>)` };
    // SABnzbd's sabnzbd.ini: `url_base = /sabnzbd` under [misc].
    const ini = /url_base\s*=\s*(\/[\w./-]*)/.exec(script);
    if (ini) return { value: normalizeUrlBase(ini[1] ?? ""), source: `init container ${init.name} (sabnzbd.ini url_base)` };
  }
  for (const file of yamlFilesUnder(repo, dirOf(workload.file))) {
    if (dirOf(file) !== dirOf(workload.file)) continue;
    for (const raw of documentsOf(repo.read(file) ?? "")) {
      const doc = raw as { kind?: unknown; data?: unknown } | null;
      if (doc?.kind !== "ConfigMap" || typeof doc.data !== "object" || doc.data === null) continue;
      for (const [key, value] of Object.entries(doc.data as Record<string, unknown>)) {
        if (/BaseUrl$/i.test(key) && typeof value === "string") return { value: normalizeUrlBase(value), source: `ConfigMap key ${key} in ${file}` };
      }
    }
  }
  return { value: "", source: "no URL base set in the repository (the app serves at /)" };
}
