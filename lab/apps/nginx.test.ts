import { describe, expect, it } from "vitest";
import type { IngressRoute } from "../lib/manifests";
import { configGeneration, GENERATION_PATH, hostLocations, type NginxConfigInput, PANEL_PROXY_ADDRESS, panelFrontServer, renderNginxConfig, translateSnippet } from "./nginx";

const ANN = "nginx.ingress.kubernetes.io/";

function route(p: Partial<IngressRoute> & Pick<IngressRoute, "path" | "service">): IngressRoute {
  return { host: "h.example", pathType: "Prefix", namespace: "media", ingress: `${p.service}-ingress`, servicePort: 80, annotations: {}, tls: true, ...p };
}

describe("ingress-nginx emulation", () => {
  it("uses prefix locations (exact and sub-path) when no Ingress of the host uses regex", () => {
    const out = hostLocations([route({ path: "/sonarr", service: "sonarr" })], { "sonarr.media": "http://127.0.0.1:1234" }).join("\n");
    expect(out).toContain("location /sonarr/ {");
    expect(out).toContain("location = /sonarr {");
    expect(out).toContain("proxy_pass http://127.0.0.1:1234;");
  });

  it("switches every path of a host to anchored regex, longest first, once one Ingress uses rewrite-target", () => {
    const out = hostLocations(
      [
        route({ path: "/", service: "homepage" }),
        route({ path: "/qbittorrent(/|$)(.*)", service: "qbittorrent", annotations: { [`${ANN}rewrite-target`]: "/$2", [`${ANN}use-regex`]: "true" } }),
        route({ path: "/sonarr", service: "sonarr" }),
      ],
      {},
    );
    expect(out[0]).toContain('location ~* "^/qbittorrent(/|$)(.*)"');
    expect(out[0]).toContain('rewrite "(?i)/qbittorrent(/|$)(.*)" /$2 break;');
    expect(out[1]).toContain('location ~* "^/sonarr"');
    expect(out[2]).toContain('location ~* "^/"');
  });

  it("answers 503 naming the service when the address map has no entry", () => {
    const out = hostLocations([route({ path: "/lidarr", service: "lidarr" })], {}).join("\n");
    expect(out).toContain('return 503 "lab: no address for service lidarr.media";');
  });

  it("turns permanent-redirect into a return that keeps the lab port", () => {
    const out = hostLocations([route({ path: "/jellyfin", pathType: "Exact", service: "jellyfin", annotations: { [`${ANN}permanent-redirect`]: "https://$host/jellyfin/" } })], {}).join("\n");
    expect(out).toContain("location = /jellyfin {");
    expect(out).toContain("return 301 https://$http_host/jellyfin/;");
  });

  it("translates configuration snippets into directives stock nginx accepts", () => {
    const t = translateSnippet('proxy_set_header X-Forwarded-Prefix /bazarr;\nmore_set_headers "X-Frame-Options: SAMEORIGIN";\nlua_code_cache off;\n# note');
    expect(t.headers.get("X-Forwarded-Prefix")).toBe("/bazarr");
    expect(t.lines).toContain('add_header X-Frame-Options "SAMEORIGIN" always;');
    expect(t.lines).toContain("# lab: not applied: lua_code_cache off;");
    expect(t.lines).toContain("# note");
  });

  it("repeats the endpoint label where a snippet adds its own headers", () => {
    const out = hostLocations([route({ path: "/argocd", service: "argocd-server", annotations: { [`${ANN}configuration-snippet`]: 'more_set_headers "X-Content-Type-Options: nosniff";' } })], {}, "tls-valid").join("\n");
    expect(out).toContain('add_header X-Lab-Endpoint "tls-valid" always;');
    expect(hostLocations([route({ path: "/sonarr", service: "sonarr" })], {}, "tls-valid").join("\n")).not.toContain("X-Lab-Endpoint");
  });

  it("renders TLS servers per case, a plain server without redirect, and the git server", () => {
    const conf = renderNginxConfig(input());
    expect(conf).toContain("listen 127.0.0.1:4443 ssl default_server;");
    expect(conf).toContain("ssl_certificate /c.crt;");
    expect(conf).toContain("listen 127.0.0.1:8080 default_server;");
    expect(conf).not.toMatch(/return 30[18] https/);
    expect(conf).toContain("auth_basic_user_file /htpasswd;");
    expect(conf).toContain("fastcgi_param GIT_PROJECT_ROOT /repos;");
    expect(conf).not.toContain("user root");
  });

  it("fronts a panel over TLS like ingress-nginx: appended X-Forwarded-For, scheme, host with port, from its own address", () => {
    const block = panelFrontServer({ name: "e2e", port: 4444, upstreamPort: 3241, certFile: "/tls/panel.crt", keyFile: "/tls/panel.key" });
    expect(block).toContain("listen 127.0.0.1:4444 ssl;");
    expect(block).toContain("ssl_certificate /tls/panel.crt;");
    expect(block).toContain("server 127.0.0.1:3241;");
    expect(block).toContain(`proxy_bind ${PANEL_PROXY_ADDRESS};`);
    for (const header of [
      "X-Forwarded-For $proxy_add_x_forwarded_for",
      "X-Forwarded-Proto $scheme",
      "X-Forwarded-Host $http_host",
      "X-Real-IP $remote_addr",
      "Host $http_host",
    ]) {
      expect(block).toContain(`proxy_set_header ${header};`);
    }
    expect(block).toContain("proxy_buffering off;");
    expect(block).toContain("proxy_buffer_size 16k;");
    expect(block).toContain("proxy_buffers 4 16k;");
    expect(block).not.toMatch(/Strict-Transport-Security/i);
    const conf = renderNginxConfig({
      labDir: "/lab",
      hosts: [],
      routes: [],
      addressMap: {},
      tlsCases: [],
      plainPort: 8080,
      panelFronts: [{ name: "demo", port: 4445, upstreamPort: 3000, certFile: "/c", keyFile: "/k" }],
      runAsRoot: false,
    });
    expect(conf).toContain('# panel front "demo": https://127.0.0.1:4445 -> http://127.0.0.1:3000');
  });
  it("names its generation on the plain endpoint: a hash of the configuration, the same for the same input", () => {
    const conf = renderNginxConfig(input());
    expect(conf).toContain(`location = ${GENERATION_PATH} {`);
    expect(conf.match(new RegExp(GENERATION_PATH, "g"))).toHaveLength(1);
    expect(configGeneration(conf)).toMatch(/^[0-9a-f]{12}$/);
    expect(configGeneration(renderNginxConfig(input()))).toBe(configGeneration(conf));
    expect(configGeneration(renderNginxConfig(input({ addressMap: { "sonarr.media": "http://127.0.0.1:1234" } })))).not.toBe(configGeneration(conf));
  });

  it("refuses two endpoints on one port", () => {
    expect(() => renderNginxConfig(input({ plainPort: 4443 }))).toThrow(/two endpoints on port 4443/);
    expect(() => renderNginxConfig(input({ git: { port: 8080, fcgiAddress: "127.0.0.1:9000", htpasswdFile: "/htpasswd", projectRoot: "/repos" } }))).toThrow(/two endpoints on port 8080/);
    expect(() => renderNginxConfig(input({ panelFronts: [{ name: "e2e", port: 9418, upstreamPort: 3000, certFile: "/c", keyFile: "/k" }] }))).toThrow(/two endpoints on port 9418/);
  });
});

function input(over: Partial<NginxConfigInput> = {}): NginxConfigInput {
  return {
    labDir: "/lab",
    hosts: ["h.example"],
    routes: [route({ path: "/sonarr", service: "sonarr" })],
    addressMap: {},
    tlsCases: [{ name: "valid", host: "h.example", port: 4443, url: "", caFile: "/ca", certFile: "/c.crt", keyFile: "/c.key", sans: [], expectNotBefore: "", expectNotAfter: "" }],
    plainPort: 8080,
    git: { port: 9418, fcgiAddress: "127.0.0.1:9000", htpasswdFile: "/htpasswd", projectRoot: "/repos" },
    runAsRoot: false,
    ...over,
  };
}
