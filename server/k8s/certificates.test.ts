import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import type { CertManagerCertificate } from "@/lib/k8s/types";
import { requestRenewal } from "./certificates";

/** A fake API server recording the renewal requests it gets, answering with `status`. */
async function fakeApi(status: number): Promise<{ url: string; requests: Array<{ method: string; url: string; type: string; body: unknown }>; close: () => Promise<void> }> {
  const requests: Array<{ method: string; url: string; type: string; body: unknown }> = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", type: String(req.headers["content-type"]), body: JSON.parse(text || "null") as unknown });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(
        status === 200
          ? JSON.stringify({ metadata: { name: "home", resourceVersion: "9" } })
          : JSON.stringify({ kind: "Status", code: status, reason: status === 403 ? "Forbidden" : "NotFound", message: `certificates.cert-manager.io "home" is ${status === 403 ? "forbidden" : "not found"}` }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

function kcFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: "f", server, skipTLSVerify: true }], users: [{ name: "u", token: "t" }], contexts: [{ name: "f", cluster: "f", user: "u" }], currentContext: "f" });
  return kc;
}

const cert = (issuing?: string): CertManagerCertificate => ({
  metadata: { name: "home", namespace: "argocd", generation: 2 },
  status: { conditions: [{ type: "Ready", status: "True" }, ...(issuing ? [{ type: "Issuing", status: issuing, reason: "Failed" }] : [])] },
});

describe("Renew now (as cmctl renew)", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it("applies Issuing=True (ManuallyTriggered) to the status subresource, as the panel's field manager, and nothing else", async () => {
    const api = await fakeApi(200);
    close = api.close;
    const result = await requestRenewal(kcFor(api.url), cert("False"), { timeoutMs: 2000, now: new Date("2026-06-01T12:00:00.123Z") });
    expect(result.outcome).toBe("requested");
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req?.method).toBe("PATCH");
    expect(req?.url).toBe("/apis/cert-manager.io/v1/namespaces/argocd/certificates/home/status?fieldManager=k8s-nas-panel&force=true");
    expect(req?.type).toBe("application/apply-patch+yaml");
    expect(req?.body).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "home", namespace: "argocd" },
      status: {
        conditions: [
          { type: "Issuing", status: "True", reason: "ManuallyTriggered", message: "Certificate re-issuance manually triggered", lastTransitionTime: "2026-06-01T12:00:00Z", observedGeneration: 2 },
        ],
      },
    });
  });

  it("a Certificate already issuing is left alone", async () => {
    const api = await fakeApi(200);
    close = api.close;
    const result = await requestRenewal(kcFor(api.url), cert("True"), { timeoutMs: 2000 });
    expect(result).toMatchObject({ outcome: "already_issuing" });
    expect(api.requests).toHaveLength(0);
  });

  it("an RBAC refusal names the rule the panel needs; a vanished Certificate is not found", async () => {
    const forbidden = await fakeApi(403);
    close = forbidden.close;
    await expect(requestRenewal(kcFor(forbidden.url), cert(), { timeoutMs: 2000 })).rejects.toMatchObject({
      code: "forbidden",
      message: "The panel may not renew certificates in argocd: its Role there needs patch on cert-manager.io certificates/status (deploy/rbac.yaml).",
    });
    await forbidden.close();
    const gone = await fakeApi(404);
    close = gone.close;
    await expect(requestRenewal(kcFor(gone.url), cert(), { timeoutMs: 2000 })).rejects.toMatchObject({ code: "not_found" });
  });
});
