/**
 * Homepage simulator (gethomepage.dev v1): `GET /api/healthcheck`, the unauthenticated endpoint its
 * probes and the panel read (plain text `up`). Spec: `./specs/homepage.ts`. A failing Homepage is the
 * engine's faults. Unknown paths: Next.js's 404 page, as plain text here.
 */
import { defineSim } from "./engine/sim-app";
import { homepageSpec } from "./specs/homepage";

export const homepageSim = defineSim<Record<string, never>>({
  kind: "homepage",
  title: "Homepage",
  spec: { document: homepageSpec },
  defaultVersion: "1.4.0",
  createState: () => ({}),
  authorize: () => true,
  operations: [{ method: "get", path: "/api/healthcheck", handle: () => ({ status: 200, text: "up", contentType: "text/plain; charset=utf-8" }) }],
  errors: {
    unauthorized: () => ({ status: 401, text: "Unauthorized", unvalidated: true }),
    invalidRequest: (issues) => ({ status: 400, text: issues.map((i) => i.message).join(", "), unvalidated: true }),
    notFound: () => ({ status: 404, text: "404: This page could not be found.", unvalidated: true }),
    serverError: (message) => ({ status: 500, text: message, unvalidated: true }),
  },
  describe: () => ({}),
});
