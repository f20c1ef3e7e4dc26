import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appCrashOf, appCrashes, clearAppCrashes, crashArgv, defaultCrashOutput, setAppCrash } from './app-crash';

const dir = mkdtempSync(path.join(tmpdir(), 'app-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('app crashes', () => {
  it('are set per workload, read by the executor, and lifted', () => {
    setAppCrash('media', 'sonarr', { exitCode: 2, output: ['a'], runMs: 0 }, dir);
    setAppCrash('qbittorrent', 'qbittorrent', { exitCode: 1, output: ['b'], runMs: 10 }, dir);
    expect(appCrashOf('media', 'sonarr', dir)).toMatchObject({ exitCode: 2, output: ['a'] });
    expect(Object.keys(appCrashes(dir)).sort()).toEqual(['media/sonarr', 'qbittorrent/qbittorrent']);
    expect(clearAppCrashes('media', undefined, dir)).toEqual(['media/sonarr']);
    expect(appCrashOf('media', 'sonarr', dir)).toBeUndefined();
    expect(clearAppCrashes(undefined, undefined, dir)).toEqual(['qbittorrent/qbittorrent']);
  });

  it('refuse exit codes and run times a container cannot have', () => {
    expect(() => setAppCrash('media', 'x', { exitCode: 0, output: [], runMs: 0 }, dir)).toThrow(/exit code/);
    expect(() => setAppCrash('media', 'x', { exitCode: 256, output: [], runMs: 0 }, dir)).toThrow(/exit code/);
    expect(() => setAppCrash('media', 'x', { exitCode: 1, output: [], runMs: -1 }, dir)).toThrow(/runMs/);
  });

  it("print the app's own start-up failure: Servarr's words for the *arr apps, a generic one for the others", () => {
    const sonarr = defaultCrashOutput('sonarr', 'sonarr');
    expect(sonarr[0]).toMatch(/^\[Info\] Bootstrap: Starting Sonarr/);
    expect(sonarr).toContain('[Fatal] ConsoleApp: EPIC FAIL!');
    expect(sonarr.join('\n')).toContain('https://wiki.servarr.com/sonarr/faq');
    expect(defaultCrashOutput('qbittorrent', 'qbittorrent').join('\n')).toMatch(/qBittorrent starting[\s\S]*FATAL/);
    expect(defaultCrashOutput(undefined, 'thing')[0]).toBe('thing starting');
  });

  it('run a command that prints the output and exits with the code', () => {
    const argv = crashArgv({ exitCode: 7, output: [], runMs: 0, createdAt: '' });
    let code = 0;
    let out = '';
    try {
      execFileSync(argv[0] as string, argv.slice(1), { env: { ...process.env, LAB_CRASH_OUTPUT: 'line one\nline "two" $HOME' }, encoding: 'utf8' });
    } catch (err) {
      code = (err as { status: number }).status;
      out = (err as { stdout: string }).stdout;
    }
    expect(code).toBe(7);
    expect(out).toBe('line one\nline "two" $HOME\n');
  });
});
