import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAB_SRC_DIR } from '../paths';

describe('supervise.mjs', () => {
  it('starts a process again after it exits, with backoff, and stops it with itself on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(LAB_SRC_DIR, 'lib', 'supervise.mjs'), 'demo', '--', process.execPath, '-e', 'console.log("run " + process.pid); setTimeout(() => process.exit(3), 100)'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 10_000 }).toMatch(/demo: exited \(code 3\); starting it again in 2 s/);
    expect(out).toMatch(/demo: exited \(code 3\); starting it again in 1 s/);
    const pids = new Set(out.match(/^run \d+$/gm));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a command line without a command', async () => {
    const child = spawn(process.execPath, [path.join(LAB_SRC_DIR, 'lib', 'supervise.mjs'), 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('usage: supervise.mjs <name> -- <command>');
  });
});
