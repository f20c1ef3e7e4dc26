import { APP_KINDS, type AppKind } from "../services";
import type { Container, Workload } from "./types";

/** Annotations the panel reads on a workload (or its pod template). */
export const PANEL_ANNOTATIONS = {
  /** The app kind, one of APP_KINDS; overrides recognition from the image. */
  app: "k8s-nas-panel/app",
  name: "k8s-nas-panel/name",
  description: "k8s-nas-panel/description",
  /** URL base the app serves under, e.g. `/sonarr`; `/` for the root. */
  urlBase: "k8s-nas-panel/url-base",
  /** `"true"` hides the workload from the panel. */
  ignore: "k8s-nas-panel/ignore",
} as const;

/** Homepage's annotations (https://gethomepage.dev/configs/kubernetes/), honoured where present. */
export const HOMEPAGE_ANNOTATIONS = {
  name: "gethomepage.dev/name",
  description: "gethomepage.dev/description",
  href: "gethomepage.dev/href",
} as const;

/** Display names of the kinds, for a workload named after its kind ("sonarr" -> "Sonarr"). */
export const APP_KIND_LABELS: Record<AppKind, string> = {
  sonarr: "Sonarr",
  radarr: "Radarr",
  lidarr: "Lidarr",
  prowlarr: "Prowlarr",
  bazarr: "Bazarr",
  sabnzbd: "SABnzbd",
  qbittorrent: "qBittorrent",
  jellyfin: "Jellyfin",
  jellyseerr: "Jellyseerr",
  seerr: "Seerr",
  flaresolverr: "FlareSolverr",
  unpackerr: "Unpackerr",
  gluetun: "Gluetun",
  prometheus: "Prometheus",
  grafana: "Grafana",
  homepage: "Homepage",
  argocd: "Argo CD",
  other: "Other",
};

/**
 * Image repositories per kind, matched on the repository path without registry and tag. An entry
 * `name` matches any owner's image whose last path segment is `name` (linuxserver/sonarr,
 * hotio/sonarr, ghcr.io/home-operations/sonarr, lscr.io/linuxserver/sonarr, binhex/arch-sonarr); an
 * entry with a slash matches that repository exactly (official images).
 */
const IMAGE_RULES: Record<Exclude<AppKind, "other">, readonly string[]> = {
  sonarr: ["sonarr"],
  radarr: ["radarr"],
  lidarr: ["lidarr"],
  prowlarr: ["prowlarr"],
  bazarr: ["bazarr"],
  sabnzbd: ["sabnzbd"],
  qbittorrent: ["qbittorrent", "qbittorrent-nox"],
  jellyfin: ["jellyfin"],
  jellyseerr: ["jellyseerr", "fallenbagel/jellyseerr"],
  seerr: ["seerr", "seerr-team/seerr"],
  flaresolverr: ["flaresolverr"],
  unpackerr: ["unpackerr", "golift/unpackerr"],
  gluetun: ["gluetun", "qmcgaw/gluetun"],
  prometheus: ["prometheus", "prom/prometheus"],
  grafana: ["grafana", "grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise"],
  homepage: ["homepage", "gethomepage/homepage", "benphelps/homepage"],
  argocd: ["argocd", "argoproj/argocd"],
};

/**
 * The repository path of an image reference: registry, tag and digest removed, lowercase.
 * `docker.io/linuxserver/sonarr:4.0@sha256:...` -> `linuxserver/sonarr`; `nginx` -> `nginx`.
 */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf("@");
  if (at >= 0) ref = ref.slice(0, at);
  const parts = ref.split("/");
  // A first segment with a dot or a port, or "localhost", is a registry host.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? "")) parts.shift();
  const last = parts.pop() ?? "";
  const colon = last.indexOf(":");
  parts.push(colon >= 0 ? last.slice(0, colon) : last);
  if (parts[0] === "library" && parts.length === 2) parts.shift();
  return parts.join("/");
}

/** The app kind an image runs, or `other` when the panel does not know it. */
export function recognizeImage(image: string | undefined): AppKind {
  if (!image) return "other";
  const repo = imageRepository(image);
  const segment = (repo.split("/").pop() ?? "").replace(/^arch-/, "");
  for (const [kind, patterns] of Object.entries(IMAGE_RULES) as Array<[Exclude<AppKind, "other">, readonly string[]]>) {
    for (const pattern of patterns) {
      if (pattern.includes("/") ? repo === pattern : segment === pattern) return kind;
    }
  }
  return "other";
}

/** True for a string that names an AppKind. */
export function isAppKind(value: string | undefined): value is AppKind {
  return value !== undefined && (APP_KINDS as readonly string[]).includes(value);
}

/** What recognition decided about one workload. */
export interface Recognition {
  appKind: AppKind;
  kindSource: "annotation" | "config" | "image" | "unknown";
  /** True when the workload carries `k8s-nas-panel/ignore: "true"`. */
  ignored: boolean;
  displayName: string;
  description?: string;
  /** A user-facing link from `gethomepage.dev/href`. */
  href?: string;
  /** URL base from the `k8s-nas-panel/url-base` annotation, normalised (`""` for the root). */
  urlBase?: string;
  /** Name of the container that runs the app. */
  mainContainer?: string;
  /** Containers next to it that run something else (e.g. Gluetun next to qBittorrent). */
  sidecars: string[];
  /** Problems with the overrides (an unknown kind in an annotation or the config), as text. */
  notes: string[];
}

/** Overrides from the panel's configuration. */
export interface RecognizeOptions {
  /** `discovery.kindOverrides`: `"<namespace>/<workload>"` -> kind. */
  kindOverrides?: Readonly<Record<string, string>>;
  /** Annotations of the Ingresses in front of the workload (for `gethomepage.dev/*`), most specific first. */
  ingressAnnotations?: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** Normalises a URL base: `sonarr/` -> `/sonarr`, `/` -> `""`. */
export function normalizeUrlBase(value: string): string {
  const trimmed = value.trim().replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}

/** Containers of a pod template: regular ones, then native sidecars (init containers with restartPolicy Always). */
export function podContainers(workload: Workload): Container[] {
  const spec = workload.spec?.template?.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always")];
}

/**
 * Decides the app kind of a workload, its display name, main container and sidecars.
 * Precedence of the kind: config (`discovery.kindOverrides`, the panel operator's own file) >
 * annotation `k8s-nas-panel/app` > the images. From the images, the first container of a known kind
 * other than Gluetun wins (a VPN sidecar does not make qBittorrent a VPN); Gluetun alone is `gluetun`.
 * The main container is the one whose image matches the kind, else the first; every other container
 * whose kind differs from the main one is a sidecar.
 */
export function recognizeWorkload(workload: Workload, options: RecognizeOptions = {}): Recognition {
  const meta = workload.metadata ?? {};
  const annotations: Record<string, string> = { ...(workload.spec?.template?.metadata?.annotations ?? {}), ...(meta.annotations ?? {}) };
  const id = `${meta.namespace ?? ""}/${meta.name ?? ""}`;
  const notes: string[] = [];
  const containers = podContainers(workload);
  const kinds = containers.map((c) => recognizeImage(c.image));

  let appKind: AppKind = "other";
  let kindSource: Recognition["kindSource"] = "unknown";
  const configured = options.kindOverrides?.[id];
  const annotated = annotations[PANEL_ANNOTATIONS.app]?.trim().toLowerCase();
  if (configured !== undefined && isAppKind(configured)) {
    appKind = configured;
    kindSource = "config";
  } else {
    if (configured !== undefined) notes.push(`discovery.kindOverrides["${id}"]: unknown kind "${configured}"`);
    if (annotated !== undefined && isAppKind(annotated)) {
      appKind = annotated;
      kindSource = "annotation";
    } else {
      if (annotated !== undefined) notes.push(`annotation ${PANEL_ANNOTATIONS.app}: unknown kind "${annotated}"`);
      const fromImage = kinds.find((k) => k !== "other" && k !== "gluetun") ?? kinds.find((k) => k === "gluetun");
      if (fromImage) {
        appKind = fromImage;
        kindSource = "image";
      }
    }
  }

  const mainIndex = Math.max(0, kinds.indexOf(appKind));
  const main = containers[mainIndex];
  const mainKind = kinds[mainIndex] ?? "other";
  const sidecars = containers.filter((c, i) => i !== mainIndex && kinds[i] !== mainKind).map((c) => c.name);

  const homepage = (key: string): string | undefined => {
    for (const a of [annotations, ...(options.ingressAnnotations ?? [])]) {
      const v = a[key]?.trim();
      if (v) return v;
    }
    return undefined;
  };
  const name = meta.name ?? "";
  const displayName =
    annotations[PANEL_ANNOTATIONS.name]?.trim() ||
    homepage(HOMEPAGE_ANNOTATIONS.name) ||
    (appKind !== "other" && name === appKind ? APP_KIND_LABELS[appKind] : name);
  const description = annotations[PANEL_ANNOTATIONS.description]?.trim() || homepage(HOMEPAGE_ANNOTATIONS.description);
  const href = homepage(HOMEPAGE_ANNOTATIONS.href);
  const urlBaseAnnotation = annotations[PANEL_ANNOTATIONS.urlBase];

  return {
    appKind,
    kindSource,
    ignored: annotations[PANEL_ANNOTATIONS.ignore]?.trim().toLowerCase() === "true",
    displayName,
    ...(description ? { description } : {}),
    ...(href ? { href } : {}),
    ...(urlBaseAnnotation !== undefined ? { urlBase: normalizeUrlBase(urlBaseAnnotation) } : {}),
    ...(main ? { mainContainer: main.name } : {}),
    sidecars,
    notes,
  };
}
