import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectSandbox, killSandbox, sandboxAlive, startSandboxed, type SandboxKind, type SandboxSpec } from './sandbox';

/** Runs the two sandboxes directly (no cluster): what a container may and may not do. */

const root = mkdtempSync(path.join(tmpdir(), 'lab-sandbox-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(kind: SandboxKind, spec: Partial<SandboxSpec> & { argv: string[] }): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; pid: number }> {
  const full: SandboxSpec = { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, cwd: '/', hostname: 'sandbox-test', mounts: [], etcFiles: [], scratchDir: path.join(root, `scratch-${Math.random().toString(36).slice(2)}`), ...spec };
  const p = startSandboxed(kind, full);
  let out = '';
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, out, pid: p.pid as number })));
}

const kinds: SandboxKind[] = ['bwrap', 'unshare'];

describe.each(kinds)('%s sandbox', (kind) => {
  it('is available on this machine', () => {
    expect(detectSandbox({ LAB_EXECUTOR_SANDBOX: kind })).toBe(kind);
  });

  it('binds volumes (read-write and read-only) and runs the command on the host userland', async () => {
    const data = path.join(root, kind, 'data');
    const conf = path.join(root, kind, 'conf');
    mkdirSync(data, { recursive: true });
    mkdirSync(conf, { recursive: true });
    writeFileSync(path.join(conf, 'app.ini'), 'key=value\n');
    const r = await run(kind, {
      argv: ['sh', '-c', 'tar czf /backup/conf.tgz -C /config . && sha256sum /backup/conf.tgz > /backup/SHA256SUMS && echo write > /config/x; echo "rc=$?"; pwd; hostname'],
      cwd: '/backup',
      mounts: [
        { source: conf, target: '/config', readOnly: true },
        { source: data, target: '/backup', readOnly: false },
      ],
    });
    expect(r.code, r.out).toBe(0);
    expect(existsSync(path.join(data, 'conf.tgz'))).toBe(true);
    expect(readFileSync(path.join(data, 'SHA256SUMS'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}\/backup\/conf.tgz\n$/);
    expect(r.out).toMatch(/Read-only file system/);
    expect(r.out).toMatch(/rc=[1-9]/);
    expect(r.out).toContain('/backup\nsandbox-test');
    expect(existsSync(path.join(conf, 'x'))).toBe(false);
  });

  it('has no network, no capabilities, a read-only /usr and no host secrets', async () => {
    const r = await run(kind, {
      argv: ['sh', '-c', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; grep CapEff /proc/self/status; touch /usr/lab-test 2>&1; ls /etc/shadow 2>&1'],
    });
    expect(r.out.split('\n')[0]).toBe('lo');
    expect(r.out).toMatch(/CapEff:\s+0000000000000000/);
    expect(r.out).toMatch(/touch: cannot touch '\/usr\/lab-test': Read-only file system/);
    expect(r.out).toMatch(/ls: cannot access '\/etc\/shadow': No such file or directory/);
    expect(existsSync('/usr/lab-test')).toBe(false);
  });

  it('reports the exit code and is killed with everything it started', async () => {
    expect((await run(kind, { argv: ['sh', '-c', 'exit 7'] })).code).toBe(7);
    const n = 100_000 + Math.floor(Math.random() * 800_000);
    const p = startSandboxed(kind, {
      argv: ['sh', '-c', `sleep ${n} & sleep ${n + 1} & echo started; wait`],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      hostname: 'kill-test',
      mounts: [],
      etcFiles: [],
      scratchDir: path.join(root, `scratch-kill-${kind}`),
    });
    let early = '';
    p.stderr?.on('data', (d: Buffer) => (early += d.toString()));
    await new Promise<void>((resolve, reject) => {
      p.stdout?.once('data', () => resolve());
      p.once('close', (code) => reject(new Error(`the sandbox ended early (${code}): ${early}`)));
    });
    const pid = p.pid as number;
    expect(sandboxAlive(pid)).toBe(true);
    const closed = new Promise((resolve) => p.on('close', resolve));
    killSandbox(pid);
    await closed;
    await new Promise((r) => setTimeout(r, 300));
    expect(sandboxAlive(pid)).toBe(false);
    const { execFileSync } = await import('node:child_process');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(`sleep ${n}`);
    expect(ps).not.toContain(`sleep ${n + 1}`);
  });
});
