import { afterEach, describe, expect, it } from "vitest";
import { startFakeApp, type FakeApp, type FakeHandler } from "@/scripts/fake-apps";
import { APP_CATALOGUE, KNOWN_APP_KINDS, type AppEndpoint } from "@/lib/apps/catalogue";
import { judgeAnswer } from "../endpoint";
import { getAppModule, getHealthModule } from "../registry";
import { statusModuleOf } from "./index";

const apps: FakeApp[] = [];
async function serve(handler: FakeHandler): Promise<FakeApp> {
  const app = await startFakeApp(handler);
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** Where an endpoint of `kind` is asked for, in a fake app serving at `urlBase`. */
function pathOf(e: AppEndpoint, urlBase: string): string {
  return (e.underUrlBase ? `${urlBase}${e.path}` : e.path).split("?")[0] ?? "";
}

/** Answers an endpoint with its documented example. */
function exampleAnswer(e: AppEndpoint) {
  return e.answer.type === "json" ? { json: JSON.parse(e.example) as unknown } : { text: e.example };
}

/** Kinds without a module of their own whose catalogue entry gives a public endpoint: their health comes from it. */
const STATUS_KINDS = KNOWN_APP_KINDS.filter((k) => getAppModule(k) === undefined && (APP_CATALOGUE[k].identity !== null || APP_CATALOGUE[k].ready !== null));

describe("the catalogue's endpoint examples", () => {
  for (const kind of KNOWN_APP_KINDS) {
    const { identity, ready } = APP_CATALOGUE[kind];
    for (const [what, e] of [["identity", identity], ["ready", ready]] as const) {
      if (!e) continue;
      it(`${kind}: the documented ${what} answer is recognised as the app's own`, () => {
        expect(e.path).toMatch(/^\//);
        const judged = judgeAnswer(e.answer, e.example);
        expect([kind, what, judged.matches, judged.mismatch]).toEqual([kind, what, true, undefined]);
        if (e.answer.type === "json" && e.answer.version) expect(judged.version, `${kind} gives its version`).toMatch(/\d/);
      });
    }
  }

  it("an answer of another shape is not the app's", () => {
    const jellyfin = APP_CATALOGUE.jellyfin.identity;
    expect(judgeAnswer(jellyfin.answer, "<!doctype html><html>")).toEqual({ matches: false, mismatch: "a web page instead of JSON" });
    expect(judgeAnswer(jellyfin.answer, '{"ProductName":"Emby Server","Id":"x"}')).toMatchObject({ matches: false, mismatch: 'ProductName is "Emby Server", not "Jellyfin Server"' });
    expect(judgeAnswer({ type: "text", pattern: "^ready", version: false }, "Ingester not ready")).toMatchObject({ matches: false });
  });
});

describe("health from the catalogue for apps without a module of their own", () => {
  it("covers the infrastructure apps, and no kind that has its own module", () => {
    expect(STATUS_KINDS).toEqual(expect.arrayContaining(["prometheus", "alertmanager", "grafana", "loki", "alloy", "promtail", "pushgateway", "uptime-kuma", "home-assistant", "ntfy", "ingress-nginx", "traefik", "cert-manager", "argocd"]));
    for (const kind of STATUS_KINDS) expect(getHealthModule(kind)).toBe(statusModuleOf(kind));
    expect(getHealthModule("sonarr")).toBe(getAppModule("sonarr"));
    expect(getHealthModule("unpackerr")).toBeUndefined();
    expect(getHealthModule("other")).toBeUndefined();
  });

  for (const kind of STATUS_KINDS) {
    const entry = APP_CATALOGUE[kind];
    describe(kind, () => {
      it("is up with its version when its endpoints answer as documented", async () => {
        const app = await serve((req) => {
          for (const e of [entry.identity, entry.ready]) if (e && req.path === pathOf(e, "/base")) return exampleAnswer(e);
          return undefined;
        });
        const m = statusModuleOf(kind);
        expect(m?.credential).toEqual({ type: "none" });
        const h = await m!.connect({ baseUrl: `${app.url}/base`, urlBase: "/base", timeoutMs: 1000 }).health();
        const version = entry.identity?.answer.type === "json" && entry.identity.answer.version !== null;
        expect([kind, h.status, h.version !== undefined]).toEqual([kind, "up", version]);
        expect(h.detail).toMatch(new RegExp(`^${entry.label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
        // One request per endpoint.
        expect(app.requests.length).toBe(entry.identity && entry.ready ? 2 : 1);
      });

      it("reads like a failing Sonarr when it is not ready or not there", async () => {
        const app = await serve((req) => {
          if (entry.ready && req.path === pathOf(entry.ready, "")) return { status: 503, text: "not ready: waiting for the ring\n" };
          if (entry.identity && req.path === pathOf(entry.identity, "")) return entry.ready ? exampleAnswer(entry.identity) : { status: 503, text: "database: failing" };
          return undefined;
        });
        const h = await statusModuleOf(kind)!.connect({ baseUrl: app.url, urlBase: "", timeoutMs: 1000 }).health();
        expect([kind, h.status]).toEqual([kind, "down"]);
        expect(h.detail).toMatch(new RegExp(`^${entry.label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} reports: (not ready: waiting for the ring|database: failing)$`));
        const nothing = await serve(() => undefined);
        const missing = await statusModuleOf(kind)!.connect({ baseUrl: nothing.url, urlBase: "", timeoutMs: 1000 }).health();
        expect([kind, missing.status, missing.errorCode]).toEqual([kind, "down", "not_found"]);
        expect(missing.detail).toMatch(/wrong URL base/);
      });
    });
  }
});
