import { APP_CATALOGUE, appLabel, isAppKind, KNOWN_APP_KINDS, type AppKind, type KnownAppKind, type RecognitionRule } from "../apps/catalogue";
import { normalizeUrlBase } from "../url-base";
import type { Container, Workload } from "./types";

/** Annotations the panel reads on a workload (or its pod template). */
export const PANEL_ANNOTATIONS = {
  /** The app kind, one of the catalogue's kinds (or `other`); overrides recognition from the image. */
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

/** True when an image repository matches one of an entry's image rules. */
function imageMatches(repo: string, patterns: readonly string[]): boolean {
  const segment = (repo.split("/").pop() ?? "").replace(/^arch-/, "");
  return patterns.some((pattern) => (pattern.includes("/") ? repo === pattern : segment === pattern));
}

/** Kinds whose recognition needs pod labels: checked before the image-only ones. */
const LABELLED_KINDS = KNOWN_APP_KINDS.filter((k) => APP_CATALOGUE[k].recognize.labels !== null);

/** The app kind an image runs (by the catalogue's image rules), or `other` when the panel does not know it. */
export function recognizeImage(image: string | undefined): AppKind {
  if (!image) return "other";
  const repo = imageRepository(image);
  return KNOWN_APP_KINDS.find((kind) => APP_CATALOGUE[kind].recognize.labels === null && imageMatches(repo, APP_CATALOGUE[kind].recognize.images)) ?? "other";
}

/**
 * Whether a workload matches a rule that has labels: every label present with its value, and (when
 * the rule names images) a container running one of them. Returns the index of the main container
 * (the first with one of the rule's images, else the first), or undefined.
 */
export function matchLabelRule(rule: RecognitionRule, labels: Readonly<Record<string, string>>, containers: readonly Container[]): number | undefined {
  if (rule.labels === null || !Object.entries(rule.labels).every(([k, v]) => labels[k] === v)) return undefined;
  const withImage = containers.findIndex((c) => c.image !== undefined && imageMatches(imageRepository(c.image), rule.images));
  if (rule.images.length > 0 && withImage < 0) return undefined;
  return Math.max(0, withImage);
}

/** The kind a workload's pod labels name (the first catalogue entry with labels that matches), with its main container. */
function recognizeByLabels(labels: Readonly<Record<string, string>>, containers: readonly Container[]): { kind: KnownAppKind; mainIndex: number } | undefined {
  for (const kind of LABELLED_KINDS) {
    const mainIndex = matchLabelRule(APP_CATALOGUE[kind].recognize, labels, containers);
    if (mainIndex !== undefined) return { kind, mainIndex };
  }
  return undefined;
}

/** What recognition decided about one workload. */
export interface Recognition {
  appKind: AppKind;
  kindSource: "annotation" | "config" | "labels" | "image" | "unknown";
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

/** Containers of a pod template: regular ones, then native sidecars (init containers with restartPolicy Always). */
export function podContainers(workload: Workload): Container[] {
  const spec = workload.spec?.template?.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always")];
}

/**
 * Decides the app kind of a workload, its display name, main container and sidecars.
 * Precedence of the kind: config (`discovery.kindOverrides`, the panel operator's own file) >
 * annotation `k8s-nas-panel/app` > pod labels (catalogue entries with `labels`) > the images. From the
 * images, the first container of a known kind that is not a sidecar kind wins (a Gluetun VPN next to
 * qBittorrent does not make qBittorrent a VPN); a sidecar kind alone is that kind. The main container
 * is the one whose image matches the kind, else the first; every other container whose kind differs
 * from the main one is a sidecar.
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
      const byLabels = recognizeByLabels(workload.spec?.template?.metadata?.labels ?? {}, containers);
      const fromImage = kinds.find((k) => k !== "other" && !APP_CATALOGUE[k].sidecar) ?? kinds.find((k) => k !== "other");
      if (byLabels) {
        appKind = byLabels.kind;
        kindSource = "labels";
        kinds[byLabels.mainIndex] = byLabels.kind;
      } else if (fromImage) {
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
    (appKind !== "other" && name === appKind ? appLabel(appKind) : name);
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
