import { APP_CATALOGUE, type HealthEndpoints, type KnownAppKind, type ProbeAction } from "@/lib/apps/catalogue";
import { recognizeImage } from "@/lib/k8s/recognize";
import { normalizeUrlBase } from "@/lib/url-base";

/**
 * The health endpoints the panel writes into Kubernetes probes, per kind of app: the catalogue's
 * `health` facts (every path answers 200 without credentials), with the app's usual port.
 */

/** How the panel probes one kind of app. */
export interface HealthEndpoint extends HealthEndpoints {
  /** Port the app listens on when the container declares none. */
  port?: number;
}

/** A kind of app whose health endpoints the panel knows. */
export type ProbedKind = KnownAppKind;

/** The health endpoints of a kind, or undefined when the catalogue knows none. */
export function healthEndpointOf(kind: KnownAppKind): HealthEndpoint | undefined {
  const entry = APP_CATALOGUE[kind];
  if (entry.health === null) return undefined;
  return { ...entry.health, ...(entry.port !== null ? { port: entry.port } : {}) };
}

/** The kind of a container image when the panel knows its health endpoints, else undefined. */
export function probedKindOf(image: string): ProbedKind | undefined {
  const kind = recognizeImage(image);
  return kind !== "other" && APP_CATALOGUE[kind].health !== null ? kind : undefined;
}

/** The probe path of `action` for an app served under `urlBase`. */
export function probePath(action: Extract<ProbeAction, { type: "http" }>, urlBase: string): string {
  return action.underUrlBase ? `${normalizeUrlBase(urlBase)}${action.path}` : action.path;
}
