import { isMap, isSeq } from "yaml";
import { hostMatches, SSL_REDIRECT_ANNOTATION, FORCE_SSL_REDIRECT_ANNOTATION } from "@/lib/certs/ingress-hosts";
import { AppError } from "@/lib/errors";
import { owningKustomization, renderedFiles } from "../kustomize";
import { dirOf, yamlFilesUnder, type RepoView } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { documentsOf, kustomizationNamespace } from "../workloads";
import { YamlFileEditor } from "../yaml-file";

/** Input of the HTTPS-only change: the Ingress (`namespace/name`). */
export interface HttpsOnlyInput {
  ingress: string;
}

/** The annotation cert-manager's ingress-shim reads to issue a certificate for an Ingress's tls block. */
export const CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer";

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** An Ingress found in a file of the repository. */
export interface ManifestIngress {
  file: string;
  docIndex: number;
  name: string;
  namespace?: string;
  hosts: string[];
  /** `tls` entries as written. */
  tls: Array<{ hosts: string[]; secretName?: string }>;
  annotations: Record<string, string>;
  backends: string[];
}

/** Every Ingress under `dir`. */
export function findIngresses(repo: RepoView, dir: string): ManifestIngress[] {
  const out: ManifestIngress[] = [];
  for (const file of yamlFilesUnder(repo, dir)) {
    const source = repo.read(file);
    if (source === undefined || !/\bkind:\s*Ingress\b/.test(source)) continue;
    documentsOf(source).forEach((raw, docIndex) => {
      const doc = record(raw);
      if (doc.kind !== "Ingress") return;
      const meta = record(doc.metadata);
      const spec = record(doc.spec);
      const rules = list(spec.rules).map(record);
      out.push({
        file,
        docIndex,
        name: text(meta.name) ?? "",
        namespace: text(meta.namespace) ?? kustomizationNamespace(repo, dirOf(file)),
        hosts: [...new Set(rules.map((r) => text(r.host)).filter((h): h is string => h !== undefined).map((h) => h.toLowerCase()))],
        tls: list(spec.tls).map((t) => {
          const entry = record(t);
          const secretName = text(entry.secretName);
          return { hosts: list(entry.hosts).map((h) => String(h).toLowerCase()), ...(secretName ? { secretName } : {}) };
        }),
        annotations: Object.fromEntries(Object.entries(record(meta.annotations)).map(([k, v]) => [k, String(v)])),
        backends: [...new Set(rules.flatMap((r) => list(record(r.http).paths).map((p) => text(record(record(record(p).backend).service).name))).filter((n): n is string => !!n))],
      });
    });
  }
  return out;
}

/** A cert-manager Certificate or ClusterIssuer found in the repository. */
interface ManifestCert {
  kind: "Certificate" | "ClusterIssuer";
  name: string;
  namespace?: string;
  file: string;
  dnsNames: string[];
  secretName?: string;
  issuer?: string;
}

/** True when the file is deployed: listed (directly or through a folder) by the kustomization that owns it, or in a folder without one. */
function deployed(repo: RepoView, file: string): boolean {
  const k = owningKustomization(repo, file);
  return k === undefined || renderedFiles(repo, dirOf(k)).has(file);
}

/** cert-manager Certificates and ClusterIssuers the repository deploys (files its kustomizations leave out do not count). */
function findCertManagerObjects(repo: RepoView, dir: string): ManifestCert[] {
  const out: ManifestCert[] = [];
  for (const file of yamlFilesUnder(repo, dir)) {
    if (!deployed(repo, file)) continue;
    const source = repo.read(file);
    if (source === undefined || !/\bkind:\s*(Certificate|ClusterIssuer)\b/.test(source)) continue;
    for (const raw of documentsOf(source)) {
      const doc = record(raw);
      if ((doc.kind !== "Certificate" && doc.kind !== "ClusterIssuer") || !String(doc.apiVersion ?? "").startsWith("cert-manager.io/")) continue;
      const meta = record(doc.metadata);
      const spec = record(doc.spec);
      out.push({
        kind: doc.kind,
        name: text(meta.name) ?? "",
        namespace: text(meta.namespace) ?? kustomizationNamespace(repo, dirOf(file)),
        file,
        dnsNames: list(spec.dnsNames).map((d) => String(d).toLowerCase()),
        ...(text(spec.secretName) ? { secretName: text(spec.secretName) } : {}),
        ...(text(record(spec.issuerRef).name) ? { issuer: text(record(spec.issuerRef).name) } : {}),
      });
    }
  }
  return out;
}

/** CronJobs of the repository whose text mentions `word` (the copy jobs of a Secret). */
function cronJobsMentioning(repo: RepoView, dir: string, word: string): string[] {
  const out: string[] = [];
  for (const file of yamlFilesUnder(repo, dir)) {
    const source = repo.read(file);
    if (source === undefined || !/\bkind:\s*CronJob\b/.test(source) || !source.includes(word)) continue;
    for (const raw of documentsOf(source)) {
      const doc = record(raw);
      if (doc.kind === "CronJob" && JSON.stringify(doc.spec ?? {}).includes(word)) out.push(`${text(record(doc.metadata).namespace) ?? "?"}/${text(record(doc.metadata).name) ?? "?"}`);
    }
  }
  return out;
}

/** Where a host's certificate comes from, and what the reviewer should know about it. */
interface TlsSource {
  secretName: string;
  issuerAnnotation?: string;
  note: string;
}

function tlsSourceFor(host: string, ingress: ManifestIngress, all: readonly ManifestIngress[], objects: readonly ManifestCert[], ctx: PlanContext): TlsSource {
  const cert = objects.find((o) => o.kind === "Certificate" && o.secretName && o.dnsNames.some((d) => hostMatches(d, host)));
  if (cert?.secretName) {
    const where = cert.namespace === ingress.namespace ? "" : ` It lives in ${cert.namespace ?? "?"}; this Ingress is in ${ingress.namespace ?? "?"}, so the Secret must be copied there`;
    const copiers = cert.namespace === ingress.namespace ? [] : cronJobsMentioning(ctx.repo, ctx.appsPath, cert.secretName);
    const copy = cert.namespace === ingress.namespace ? "" : copiers.length > 0 ? ` (CronJob ${copiers.join(", ")} copies it into the namespaces whose Ingresses name it).` : " (no CronJob in the repository copies it).";
    return { secretName: cert.secretName, note: `${host} is in the dnsNames of the Certificate ${cert.namespace ?? "?"}/${cert.name} (${cert.file}), which writes the Secret ${cert.secretName}.${where}${copy}` };
  }
  const sibling = all.find((i) => i !== ingress && i.namespace === ingress.namespace && i.tls.some((t) => t.secretName && t.hosts.some((h) => hostMatches(h, host))));
  const siblingSecret = sibling?.tls.find((t) => t.secretName && t.hosts.some((h) => hostMatches(h, host)))?.secretName;
  if (sibling && siblingSecret) return { secretName: siblingSecret, note: `The Ingress ${sibling.namespace ?? "?"}/${sibling.name} (${sibling.file}) already serves ${host} with the Secret ${siblingSecret}.` };
  const issuers = objects.filter((o) => o.kind === "ClusterIssuer");
  const used = objects.find((o) => o.kind === "Certificate" && o.issuer && issuers.some((i) => i.name === o.issuer))?.issuer;
  const issuer = used ?? issuers[0]?.name;
  const secretName = `${host.replace(/\./g, "-")}-tls`;
  if (issuer) {
    return {
      secretName,
      issuerAnnotation: issuer,
      note: `No Certificate covers ${host}: the ${CLUSTER_ISSUER_ANNOTATION} annotation makes cert-manager issue one from the ClusterIssuer ${issuer} into the Secret ${secretName}.`,
    };
  }
  return { secretName, note: `No Certificate or ClusterIssuer in the repository covers ${host}: the Secret ${secretName} must be created (or a cert-manager issuer added) before HTTPS works.` };
}

/**
 * Serves an Ingress's hosts over HTTPS only: a `tls` block for the hosts without one (with the Secret
 * of the Certificate that covers them, or a cert-manager issuer annotation), and ingress-nginx's
 * `ssl-redirect: "true"` so plain HTTP is redirected. Edits keep every other byte of the file.
 */
export function planHttpsOnly(input: HttpsOnlyInput, ctx: PlanContext): ChangePlan {
  const [ns, name] = input.ingress.includes("/") ? input.ingress.split("/", 2) : [undefined, input.ingress];
  const all = findIngresses(ctx.repo, ctx.appsPath);
  const matches = all.filter((i) => i.name === name && (ns === undefined || i.namespace === ns));
  if (matches.length === 0) {
    throw new AppError("not_found", `No Ingress ${input.ingress} under ${ctx.appsPath}/ in the repository: it is not managed through Git, so the panel cannot propose a change to it.`, { source: "gitops" });
  }
  if (matches.length > 1) throw new AppError("invalid_input", `${input.ingress} names ${matches.length} Ingresses (${matches.map((i) => i.file).join(", ")}); name it as namespace/name.`, { source: "gitops" });
  const ingress = matches[0] as ManifestIngress;
  const id = `${ingress.namespace ?? "default"}/${ingress.name}`;
  const uncovered = ingress.hosts.filter((h) => !ingress.tls.some((t) => t.hosts.length === 0 || t.hosts.some((p) => hostMatches(p, h))));
  const annotations = ingress.annotations;
  const redirectOff = annotations[SSL_REDIRECT_ANNOTATION] === "false" && annotations[FORCE_SSL_REDIRECT_ANNOTATION] !== "true";
  const redirectMissing = annotations[SSL_REDIRECT_ANNOTATION] === undefined && annotations[FORCE_SSL_REDIRECT_ANNOTATION] !== "true";
  const base: Omit<ChangePlan, "files" | "summary" | "notes"> = {
    kind: "https-only",
    key: `https-only:${id}`,
    title: `${ingress.name}: serve ${ingress.hosts.join(", ") || "its hosts"} over HTTPS only`,
    why:
      "Without a tls block the host is served on plain HTTP, where passwords and API keys cross the network readable; " +
      "with it and ssl-redirect, ingress-nginx redirects plain HTTP to HTTPS (308) and adds HSTS to the HTTPS answers.",
    services: ingress.backends.map((b) => `${ingress.namespace ?? "default"}/${b}`),
    locations: [ingress.file],
    labels: ["k8s-nas-panel", "https-only"],
    slug: `https-${ingress.name}`,
  };
  if (uncovered.length === 0 && !redirectOff && !redirectMissing) {
    return { ...base, files: [], summary: [], notes: [], alreadySo: `${id} has a tls block for ${ingress.hosts.join(", ")} and its ssl-redirect annotation is "true".` };
  }
  const source = ctx.repo.read(ingress.file);
  if (source === undefined) throw new AppError("not_found", `${ingress.file} could not be read from the repository.`, { source: "gitops" });
  const editor = new YamlFileEditor(ingress.file, source);
  const summary: string[] = [];
  const notes: string[] = [];
  const objects = findCertManagerObjects(ctx.repo, ctx.appsPath);
  const addAnnotations: Record<string, string> = {};
  if (uncovered.length > 0) {
    const bySecret = new Map<string, { hosts: string[]; source: TlsSource }>();
    for (const host of uncovered) {
      const src = tlsSourceFor(host, ingress, all, objects, ctx);
      const entry = bySecret.get(src.secretName) ?? { hosts: [], source: src };
      entry.hosts.push(host);
      bySecret.set(src.secretName, entry);
    }
    const entries = [...bySecret.entries()].map(([secretName, e]) => ({ hosts: e.hosts, secretName }));
    const tlsNode = editor.node(ingress.docIndex, ["spec", "tls"]);
    if (isSeq(tlsNode) && !tlsNode.flow && tlsNode.items.length > 0) for (const e of entries) editor.appendItem(ingress.docIndex, ["spec", "tls"], e);
    else if (tlsNode === undefined) editor.addPairs(ingress.docIndex, ["spec"], { tls: entries });
    else throw new AppError("conflict", `${ingress.file}: spec.tls is written in a form the panel does not edit in place (empty or a flow list); add the tls block by hand.`, { source: "gitops" });
    for (const e of bySecret.values()) {
      summary.push(`tls: ${e.hosts.join(", ")} with the Secret ${e.source.secretName}`);
      notes.push(e.source.note);
      if (e.source.issuerAnnotation && annotations[CLUSTER_ISSUER_ANNOTATION] === undefined) addAnnotations[CLUSTER_ISSUER_ANNOTATION] = e.source.issuerAnnotation;
    }
  }
  if (redirectOff) {
    editor.setValue(ingress.docIndex, ["metadata", "annotations", SSL_REDIRECT_ANNOTATION], "true");
    summary.push(`${SSL_REDIRECT_ANNOTATION}: "false" -> "true" (plain HTTP is redirected to HTTPS)`);
  } else if (redirectMissing) {
    addAnnotations[SSL_REDIRECT_ANNOTATION] = "true";
    summary.push(`${SSL_REDIRECT_ANNOTATION}: "true" (plain HTTP is redirected to HTTPS)`);
  }
  if (addAnnotations[CLUSTER_ISSUER_ANNOTATION]) summary.push(`${CLUSTER_ISSUER_ANNOTATION}: ${addAnnotations[CLUSTER_ISSUER_ANNOTATION]} (cert-manager issues the certificate)`);
  if (Object.keys(addAnnotations).length > 0) {
    const existing = editor.node(ingress.docIndex, ["metadata", "annotations"]);
    if (existing === undefined) editor.addPairs(ingress.docIndex, ["metadata"], { annotations: addAnnotations });
    else if (isMap(existing) && !existing.flow) editor.addPairs(ingress.docIndex, ["metadata", "annotations"], addAnnotations);
    else throw new AppError("conflict", `${ingress.file}: metadata.annotations is written in a form the panel does not edit in place; add ${Object.keys(addAnnotations).join(", ")} by hand.`, { source: "gitops" });
  }
  notes.push("HSTS: ingress-nginx adds Strict-Transport-Security to HTTPS answers of hosts with a certificate (its hsts setting, on by default).");
  return { ...base, files: [{ path: ingress.file, before: source, after: editor.result() }], summary, notes };
}
