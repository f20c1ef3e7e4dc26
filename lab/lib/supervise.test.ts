import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAB_SRC_DIR } from '../paths';

const SUPERVISE = path.join(LAB_SRC_DIR, 'lib', 'supervise.mjs');

function supervise(args: string[]) {
  const child = spawn(process.execPath, [SUPERVISE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { out: '', err: '' };
  child.stdout.on('data', (d: Buffer) => (io.out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, io, exited };
}

describe('supervise.mjs', () => {
  it('starts a process again after it exits, with backoff and the restart count, and stops it with itself on SIGTERM', async () => {
    const s = supervise(['demo', '--', process.execPath, '-e', 'console.log(`run ${process.pid} restarts=${process.env.LAB_SUPERVISED_RESTARTS}`); setTimeout(() => process.exit(3), 100)']);
    await expect.poll(() => s.io.out, { timeout: 10_000 }).toMatch(/demo: exited \(code 3\) after [\d.]+ s; starting it again in 2 s/);
    expect(s.io.out).toMatch(/demo: exited \(code 3\) after [\d.]+ s; starting it again in 1 s/);
    expect(new Set(s.io.out.match(/^run \d+/gm)).size).toBeGreaterThanOrEqual(2);
    expect(s.io.out).toMatch(/restarts=0\n[\s\S]*restarts=1\n/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('keeps trying a command that cannot be started, and still stops on SIGTERM', async () => {
    const s = supervise(['demo', '--', '/nonexistent/program']);
    await expect.poll(() => s.io.out, { timeout: 10_000 }).toMatch(/demo: could not start \/nonexistent\/program: .*ENOENT.*; starting it again in 2 s/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('kills a child that ignores SIGTERM after the stop grace', async () => {
    const s = supervise(['demo', '--stop-grace=1', '--', process.execPath, '-e', 'process.on("SIGTERM", () => console.log("ignored")); console.log("ready"); setInterval(() => {}, 1000)']);
    await expect.poll(() => s.io.out, { timeout: 10_000 }).toContain('ready');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.io.out).toContain('ignored');
    expect(s.io.out).toMatch(/demo: still running 1 s after SIGTERM; killing it/);
  });

  it('refuses a command line without a command, or with an unknown option', async () => {
    for (const args of [['demo'], ['demo', '--'], ['demo', '--restart-fast', '--', 'true']]) {
      const s = supervise(args);
      expect(await s.exited).toBe(2);
      expect(s.io.err).toContain('usage: supervise.mjs <name> [--stop-grace=SECONDS] -- <command>');
    }
  });
});
