import "server-only";
import { defineApp } from "../define";
import { QbittorrentClient } from "./client";
import { readQbittorrentHealth } from "./health";

/** qBittorrent (torrent downloads, usually behind a Gluetun VPN sidecar). */
export const qbittorrent = defineApp({
  id: "qbittorrent",
  displayName: "qBittorrent",
  defaultPort: 8080,
  login: { usernameKey: "QBITTORRENT_USERNAME", passwordKey: "QBITTORRENT_PASSWORD", defaultUsername: "admin" },
  createClient: (target) =>
    new QbittorrentClient({ baseUrl: target.baseUrl, username: target.username, password: target.password, timeoutMs: target.timeoutMs }),
  health: readQbittorrentHealth,
});
