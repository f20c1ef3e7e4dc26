import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { parse } from "yaml";
import { labDir } from "./support/lab";

/**
 * Runs after every other spec: the lab's API server audit log of the whole run must show the panel,
 * which runs as its deploy/ ServiceAccount, reading the cluster and never changing its configuration.
 * Its only allowed writes are "Renew now" (a patch of a cert-manager Certificate's status subresource,
 * as `cmctl renew` does) and the two of server/k8s/rest.ts's kubeWrite: creating Jobs derived from a
 * backup CronJob (backups, drills, restores) in a namespace that holds backups, and deleting a pod of
 * a service it restores (one carrying the restore label; the admission policy refuses any other). It
 * never reads a TLS Secret.
 */
const BACKUP_NAMESPACES = ["media", "qbittorrent"];
const WRITES = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** The ServiceAccount and the token id (JTI) of the e2e panel's credentials. */
function panelCredential(): { username: string; jti: string } {
  const file = path.join(labDir(), "panel.kubeconfig");
  expect(existsSync(file), "the e2e panel runs with the lab's panel.kubeconfig (npm run lab -- panel-kubeconfig)").toBe(true);
  const kc = parse(readFileSync(file, "utf8")) as { users: Array<{ user: { token: string } }> };
  const payload = JSON.parse(Buffer.from(kc.users[0]!.user.token.split(".")[1]!, "base64url").toString("utf8")) as { sub: string; jti: string };
  return { username: payload.sub, jti: payload.jti };
}

interface AuditEntry {
  verb: string;
  user?: { username?: string; extra?: Record<string, string[]> };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  requestURI: string;
  responseStatus?: { code?: number };
}

test("the panel never wrote configuration to the cluster during the whole run", () => {
  const { username, jti } = panelCredential();
  expect(username).toMatch(/^system:serviceaccount:/);
  // Only the requests made with the e2e panel's own token (other tests use the same ServiceAccount
  // on purpose, to see the API server refuse writes).
  const log = readFileSync(path.join(labDir(), "logs", "audit.log"), "utf8");
  const entries = log
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry)
    .filter((e) => e.user?.username === username && (e.user.extra?.["authentication.kubernetes.io/credential-id"] ?? []).includes(`JTI=${jti}`));
  // The panel really worked through this identity (its informers listed, its prober read the Secret).
  expect(entries.filter((e) => e.verb === "list").length).toBeGreaterThan(0);
  expect(entries.some((e) => e.verb === "get" && e.objectRef?.resource === "secrets")).toBe(true);
  const writes = entries
    .filter((e) => WRITES.has(e.verb))
    .filter((e) => !(e.verb === "create" && e.objectRef?.resource === "jobs" && BACKUP_NAMESPACES.includes(e.objectRef.namespace ?? "")))
    .filter((e) => !(e.verb === "delete" && e.objectRef?.resource === "pods" && !e.objectRef.subresource && BACKUP_NAMESPACES.includes(e.objectRef.namespace ?? "")))
    .filter((e) => !(e.verb === "patch" && e.objectRef?.apiGroup === "cert-manager.io" && e.objectRef.resource === "certificates" && e.objectRef.subresource === "status"))
    .map((e) => `${e.verb} ${e.requestURI} -> ${e.responseStatus?.code}`);
  expect(writes).toEqual([]);
  // No TLS Secret was read (they carry private keys): not the certificates' Secrets, nor their copies.
  const tlsSecretReads = entries
    .filter((e) => e.objectRef?.resource === "secrets" && /-tls$/.test(e.objectRef.name ?? ""))
    .map((e) => `${e.verb} ${e.requestURI} -> ${e.responseStatus?.code}`);
  expect(tlsSecretReads).toEqual([]);
});
