import { normalizeIngressPath } from "../k8s/routes";
import type { Ingress } from "../k8s/types";

/**
 * The Ingress side of certificates: which hosts exist, which `tls` block (and so which Secret)
 * covers each of them, and which Ingress's Secret the ingress controller serves for a host.
 */

export const SSL_REDIRECT_ANNOTATION = "nginx.ingress.kubernetes.io/ssl-redirect";
export const FORCE_SSL_REDIRECT_ANNOTATION = "nginx.ingress.kubernetes.io/force-ssl-redirect";

/** One host of one Ingress. */
export interface IngressHost {
  /** `namespace/name` of the Ingress. */
  ingress: string;
  namespace: string;
  name: string;
  host: string;
  /** Paths of the host's rule, normalised (`/sonarr`), in order. */
  paths: string[];
  /** Backend Services of those paths (names in the Ingress's namespace). */
  backends: string[];
  /** The Secret of the `tls` block that lists this host (or lists no hosts), if any. */
  tlsSecret?: string;
  /** True when a `tls` block lists the host (with or without a Secret). */
  tls: boolean;
  createdAt?: string;
  annotations: Record<string, string>;
}

/** True when a `tls` host entry (exact or `*.domain`) covers `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith("*.")) return false;
  const suffix = p.slice(1);
  return h.endsWith(suffix) && !h.slice(0, -suffix.length).includes(".") && h.length > suffix.length;
}

/** Every host of every Ingress, with the `tls` block covering it. Hosts are lower case. */
export function ingressHosts(ingresses: readonly Ingress[]): IngressHost[] {
  const out: IngressHost[] = [];
  for (const ing of ingresses) {
    const namespace = ing.metadata?.namespace ?? "default";
    const name = ing.metadata?.name ?? "";
    const byHost = new Map<string, { paths: string[]; backends: string[] }>();
    for (const rule of ing.spec?.rules ?? []) {
      if (!rule.host) continue;
      const host = rule.host.toLowerCase();
      const entry = byHost.get(host) ?? { paths: [], backends: [] };
      for (const p of rule.http?.paths ?? []) {
        const path = normalizeIngressPath(p.path);
        if (!entry.paths.includes(path)) entry.paths.push(path);
        const svc = p.backend?.service?.name;
        if (svc && !entry.backends.includes(svc)) entry.backends.push(svc);
      }
      byHost.set(host, entry);
    }
    for (const t of ing.spec?.tls ?? []) for (const h of t.hosts ?? []) if (!h.startsWith("*.") && !byHost.has(h.toLowerCase())) byHost.set(h.toLowerCase(), { paths: ["/"], backends: [] });
    for (const [host, entry] of byHost) {
      const block = (ing.spec?.tls ?? []).find((t) => (t.hosts ?? []).length === 0 || (t.hosts ?? []).some((h) => hostMatches(h, host)));
      out.push({
        ingress: `${namespace}/${name}`,
        namespace,
        name,
        host,
        paths: entry.paths.length > 0 ? entry.paths : ["/"],
        backends: entry.backends,
        ...(block?.secretName ? { tlsSecret: block.secretName } : {}),
        tls: block !== undefined,
        ...(ing.metadata?.creationTimestamp ? { createdAt: ing.metadata.creationTimestamp } : {}),
        annotations: ing.metadata?.annotations ?? {},
      });
    }
  }
  return out;
}

/** The hosts, sorted and without duplicates. */
export function hostNames(hosts: readonly IngressHost[]): string[] {
  return [...new Set(hosts.map((h) => h.host))].sort();
}

function byAge(a: IngressHost, b: IngressHost): number {
  const ta = a.createdAt ?? "";
  const tb = b.createdAt ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.ingress < b.ingress ? -1 : a.ingress > b.ingress ? 1 : 0;
}

/**
 * The Ingress whose Secret the ingress controller serves for `host`: as ingress-nginx does, the
 * oldest Ingress (creation time, then namespace/name) whose `tls` block names the host with a Secret.
 */
export function servingIngress(hosts: readonly IngressHost[], host: string): IngressHost | undefined {
  return hosts.filter((h) => h.host === host && h.tlsSecret !== undefined).sort(byAge)[0];
}

/** True when the Ingress asks ingress-nginx not to redirect plain HTTP (`ssl-redirect: "false"` and no force). */
export function redirectDisabled(h: IngressHost): boolean {
  return h.annotations[SSL_REDIRECT_ANNOTATION] === "false" && h.annotations[FORCE_SSL_REDIRECT_ANNOTATION] !== "true";
}
