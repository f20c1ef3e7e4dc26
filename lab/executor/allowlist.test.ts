import { describe, expect, it } from 'vitest';
import { BASE_IMAGES, executorImages, imageAllowed, imageBaseName, imagePattern } from './allowlist';

describe('executor allowlist', () => {
  const images = executorImages({});

  it.each([
    'busybox',
    'busybox:1.36',
    'alpine:3.20',
    'docker.io/library/alpine:latest',
    'index.docker.io/library/debian:bookworm-slim',
    'ubuntu@sha256:' + 'a'.repeat(64),
    'debian:12@sha256:' + 'b'.repeat(64),
  ])('runs %s', (image) => {
    expect(imageAllowed(image, images)).toBe(true);
  });

  it.each([
    'nginx:1.27',
    'alpine-evil:1',
    'evil/alpine:3',
    'ghcr.io/library/alpine:3',
    'docker.io/linuxserver/sonarr:latest',
    'bitnami/kubectl:latest',
    'alpine:bad/tag',
  ])('leaves %s to kwok', (image) => {
    expect(imageAllowed(image, images)).toBe(false);
  });

  it('adds repositories from LAB_EXECUTOR_IMAGES, with or without registry and tag', () => {
    const more = executorImages({ LAB_EXECUTOR_IMAGES: 'restic/restic:0.17, ghcr.io/acme/backup' });
    expect(more.slice(-2)).toEqual(['restic/restic', 'ghcr.io/acme/backup']);
    expect(more.slice(0, BASE_IMAGES.length)).toEqual([...BASE_IMAGES]);
    // The images lab programs stand in for (programs.ts) are allowed too.
    expect(imageAllowed('ghcr.io/esanchezm/prometheus-qbittorrent-exporter:v1.7.0', more)).toBe(true);
    expect(imageAllowed('ghcr.io/onedr0p/exportarr:v2.2.0', more)).toBe(true);
    expect(imageAllowed('restic/restic:0.18.0', more)).toBe(true);
    expect(imageAllowed('docker.io/restic/restic', more)).toBe(true);
    expect(imageAllowed('ghcr.io/acme/backup:v2', more)).toBe(true);
    expect(imageAllowed('docker.io/acme/backup:v2', more)).toBe(false);
    expect(imageAllowed('restic/other', more)).toBe(false);
  });

  it('builds an RE2-compatible pattern (no lookarounds or backreferences)', () => {
    const p = imagePattern(images);
    expect(p).not.toMatch(/\(\?[=!<]|\\[1-9]/);
    expect(p.startsWith('^') && p.endsWith('$')).toBe(true);
  });

  it('names the image base', () => {
    expect(imageBaseName('docker.io/library/alpine:3.20')).toBe('alpine');
    expect(imageBaseName('busybox@sha256:' + 'c'.repeat(64))).toBe('busybox');
  });
});
