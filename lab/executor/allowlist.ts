/**
 * Which container images the lab executor runs for real. Everything else keeps kwok's behaviour
 * (a container that "runs" without running anything).
 *
 * An allowed image does not bring its own file system: its command runs on the host's Debian
 * userland inside the sandbox (see sandbox.ts), so the list holds general-purpose images whose
 * commands (sh, tar, gzip, sha256sum, sqlite3, ...) Debian provides too.
 */
import { PROGRAM_IMAGES } from './programs';

/** General-purpose images every lab runs. */
export const BASE_IMAGES = ['busybox', 'alpine', 'debian', 'ubuntu'] as const;

/**
 * Further images the lab runs: the images of the Jobs the panel creates (backups, restores) go
 * here, by repository (`restic/restic`, `ghcr.io/owner/tool`), without a tag.
 */
export const LAB_EXTRA_IMAGES: readonly string[] = [
  // The image of the panel's backup Jobs and restore init containers (backups.image, docs/backups.md):
  // Alpine with the sqlite3 shell; here the host's sh, tar, gzip, sha256sum and sqlite3 stand in for it.
  'keinos/sqlite3',
];

/** Environment variable with more repositories to allow, comma- or space-separated. */
export const IMAGES_ENV = 'LAB_EXECUTOR_IMAGES';

/** The allowlist in effect: base images, {@link LAB_EXTRA_IMAGES} and `LAB_EXECUTOR_IMAGES`. */
export function executorImages(env: Record<string, string | undefined> = process.env): string[] {
  const extra = (env[IMAGES_ENV] ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const all = [...BASE_IMAGES, ...LAB_EXTRA_IMAGES, ...PROGRAM_IMAGES, ...extra].map(normaliseEntry);
  return [...new Set(all)];
}

function normaliseEntry(entry: string): string {
  const noDigest = entry.split('@')[0] ?? entry;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const repo = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  return repo.toLowerCase();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const DOCKER_HUB = '(?:(?:docker\\.io|index\\.docker\\.io|registry-1\\.docker\\.io)/)?';

/** Regular expression alternative for one allowlist entry, as Docker resolves image names. */
function entryPattern(entry: string): string {
  const parts = entry.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (parts.length === 1) return `${DOCKER_HUB}(?:library/)?${escapeRe(entry)}`;
  if (!hasRegistry) return `${DOCKER_HUB}${escapeRe(entry)}`;
  return escapeRe(entry);
}

/**
 * One regular expression (RE2 syntax, so the API server's CEL `matches()` evaluates it exactly
 * like JavaScript does here) matching the full image reference of any allowed image, with an
 * optional tag and digest.
 */
export function imagePattern(images: readonly string[]): string {
  const alts = images.map(entryPattern).join('|');
  return `^(?:${alts})(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`;
}

/** Whether `image` is on the allowlist. */
export function imageAllowed(image: string, images: readonly string[]): boolean {
  return new RegExp(imagePattern(images)).test(image.trim());
}

/** The repository's last path element without tag or digest: `docker.io/library/alpine:3.20` -> `alpine`. */
export function imageBaseName(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const last = noDigest.split('/').pop() ?? noDigest;
  return (last.split(':')[0] ?? last).toLowerCase();
}
