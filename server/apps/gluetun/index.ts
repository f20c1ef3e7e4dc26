import "server-only";
import { defineApp } from "../define";
import { GluetunClient } from "./client";
import { readGluetunHealth } from "./health";

/** Gluetun (VPN client; its HTTP control server listens on port 8000). */
export const gluetun = defineApp({
  id: "gluetun",
  displayName: "Gluetun",
  defaultPort: 8000,
  fixedPort: 8000,
  apiKey: { secretKey: "GLUETUN_API_KEY", required: false },
  createClient: (target) => new GluetunClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readGluetunHealth,
});
