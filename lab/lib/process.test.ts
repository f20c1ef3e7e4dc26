import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosePort, freePort, isAlive, listProcesses, spawnDaemon, stopAll, stopPid } from './process';
import { waitFor } from './wait';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lab-process-'));
});
afterAll(async () => {
  await stopAll(dir, () => undefined, { graceMs: 2000 });
  rmSync(dir, { recursive: true, force: true });
});

/** A node program as a daemon of the test lab directory; resolves once it wrote "up-now" to its log (after its command line). */
async function daemon(name: string, code: string): Promise<number> {
  const pid = spawnDaemon({ name, labDir: dir, command: process.execPath, args: ['-e', code] });
  await waitFor(`${name} ready`, async () => readFileSync(path.join(dir, 'logs', `${name}.log`), 'utf8').includes('\nup-now'), { timeoutMs: 10_000, intervalMs: 20 });
  return pid;
}

describe('ports', () => {
  it('never hands out the same port twice in one process', async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('keeps a stored port unless another component has it or something else listens on it', async () => {
    const stored = await freePort();
    expect(await choosePort(stored, false)).toBe(stored);
    expect(await choosePort(stored, false, [stored])).not.toBe(stored);
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(stored, '127.0.0.1', () => r()));
    try {
      expect(await choosePort(stored, false)).not.toBe(stored);
      expect(await choosePort(stored, true)).toBe(stored);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});

describe('stopping processes', () => {
  it('gives a program its grace to shut down cleanly, and resolves once it is gone', async () => {
    const marker = path.join(dir, 'clean-exit');
    // Like qBittorrent: the first SIGTERM starts a clean shutdown (and restores the default action).
    const pid = await daemon('once', `process.once('SIGTERM', () => setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'clean'); process.exit(0); }, 300)); console.log(['up', 'now'].join('-')); setInterval(() => {}, 1000);`);
    expect(await stopPid(pid, 5000)).toBe(false);
    expect(readFileSync(marker, 'utf8')).toBe('clean');
    expect(isAlive(pid)).toBe(false);
  });

  it('kills what ignores SIGTERM after the grace, with what it started, and says so', async () => {
    const childPidFile = path.join(dir, 'grandchild.pid');
    const pid = await daemon(
      'stubborn',
      `process.on('SIGTERM', () => {}); const c = require('child_process').spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(childPidFile)}, String(c.pid)); console.log(['up', 'now'].join('-')); setInterval(() => {}, 1000);`,
    );
    const grandchild = Number(readFileSync(childPidFile, 'utf8'));
    const t0 = Date.now();
    expect(await stopPid(pid, 500)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(isAlive(pid)).toBe(false);
    await waitFor('the grandchild gone', async () => !isAlive(grandchild), { timeoutMs: 5000, intervalMs: 20 });
  });

  it('resolves only once an exited child of this process is reaped, so its pid no longer answers', async () => {
    const pid = await daemon('reaped', `process.on('SIGTERM', () => process.exit(0)); console.log(['up', 'now'].join('-')); setInterval(() => {}, 1000);`);
    await stopPid(pid, 5000);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('stopAll stops every pidfile of the lab directory, newest first but the named ones last, and removes the pidfiles', async () => {
    await daemon('first', `console.log(['up', 'now'].join('-')); setInterval(() => {}, 1000);`);
    await new Promise((r) => setTimeout(r, 20));
    await daemon('second', `console.log(['up', 'now'].join('-')); setInterval(() => {}, 1000);`);
    await new Promise((r) => setTimeout(r, 20));
    // Restarted last, yet a server the others use: it stops after them.
    await daemon('server', `console.log(['up', 'now'].join('-')); setInterval(() => {}, 1000);`);
    expect(listProcesses(dir).filter((p) => p.alive).map((p) => p.name)).toEqual(['server', 'second', 'first']);
    const lines: string[] = [];
    expect(await stopAll(dir, (m) => lines.push(m), { last: ['server'] })).toBe(3);
    expect(lines.map((l) => /stopped (\w+)/.exec(l)?.[1])).toEqual(['second', 'first', 'server']);
    expect(listProcesses(dir)).toEqual([]);
  });
});
