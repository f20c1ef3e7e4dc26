import "server-only";
import { defineApp } from "../define";
import { QbittorrentClient } from "./client";
import { readQbittorrentHealth } from "./health";

/**
 * qBittorrent (torrent downloads, usually behind a Gluetun VPN sidecar); a download client of the
 * *arr apps. Its login is a session the instance keeps; a refused login backs off instead of
 * retrying (qBittorrent bans addresses after failed logins), so every caller shares one instance.
 */
export const qbittorrent = defineApp({
  id: "qbittorrent",
  createClient: (target) =>
    new QbittorrentClient({ baseUrl: target.baseUrl, username: target.username, password: target.password, timeoutMs: target.timeoutMs }),
  health: readQbittorrentHealth,
  // The profile (--profile=/config): qBittorrent.conf and the torrents' resume data; its ipc-socket and
  // lockfile exist only while it runs (sockets are never archived), its logs are not configuration.
  configVolume: {
    mountPath: "/config",
    exclude: ["qBittorrent/data/logs", "qBittorrent/logs"],
    check: ["qBittorrent/config/qBittorrent.conf:ini"],
    runningMarkers: ["qBittorrent/config/lockfile"],
  },
  checkCredentials: async (client, ctx) => {
    await client.getTransferInfo(ctx);
  },
  login: (client, ctx) => client.login(ctx),
  downloadClient: { implementation: "QBittorrent" },
});
