/**
 * Paths inside an app's container mapped onto its configuration volume directory: the apps
 * report container paths (`/config/Backups/manual/x.zip`), the lab keeps the files in
 * `<labDir>/volumes/<namespace>/<claim>`.
 */
import { join, normalize, posix } from "node:path";

/**
 * The volume path of `containerPath` when it lies under `mountPath` (default `/config`), resolved
 * against `mountPath` when relative (the apps resolve relative folders against their data folder);
 * undefined when the path is outside the volume.
 */
export function volumePath(dir: string, containerPath: string, mountPath = "/config"): string | undefined {
  const abs = posix.normalize(posix.isAbsolute(containerPath) ? containerPath : posix.join(mountPath, containerPath));
  const mount = posix.normalize(mountPath).replace(/\/$/, "");
  if (abs !== mount && !abs.startsWith(`${mount}/`)) return undefined;
  const rel = abs.slice(mount.length).replace(/^\//, "");
  return normalize(join(dir, rel));
}

/** The container path of a file under the volume (`<dir>/a/b` -> `/config/a/b`). */
export function containerPath(dir: string, file: string, mountPath = "/config"): string {
  const rel = normalize(file).slice(normalize(dir).length).replace(/^\/+/, "");
  return rel === "" ? mountPath : posix.join(mountPath, rel);
}
