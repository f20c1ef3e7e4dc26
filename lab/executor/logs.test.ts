import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContainerLogWriter, followLog, parseEntries, readLog } from './logs';

const dirs: string[] = [];
function tmpFile(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'lab-logs-'));
  dirs.push(d);
  return path.join(d, '0.log');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('container logs (CRI format)', () => {
  it('writes one entry per line per stream, splits long lines and keeps an unfinished one', () => {
    const f = tmpFile();
    const w = new ContainerLogWriter(f);
    w.write('stdout', Buffer.from('one\ntw'));
    w.write('stderr', Buffer.from('oops\n'));
    w.write('stdout', Buffer.from('o\n' + 'x'.repeat(20_000) + '\n'));
    w.write('stdout', Buffer.from('tail without newline'));
    w.close();
    const { entries } = parseEntries(readFileSync(f));
    expect(entries.map((e) => [e.stream, e.partial, e.text.length > 40 ? e.text.length : e.text.toString()])).toEqual([
      ['stdout', false, 'one'],
      ['stderr', false, 'oops'],
      ['stdout', false, 'two'],
      ['stdout', true, 16_384],
      ['stdout', false, 20_000 - 16_384],
      ['stdout', true, 'tail without newline'],
    ]);
    expect(entries[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(readLog(f).toString()).toBe(`one\noops\ntwo\n${'x'.repeat(20_000)}\ntail without newline`);
  });

  it('applies tailLines (a long line counts once), limitBytes, timestamps and sinceTime', () => {
    const f = tmpFile();
    const w = new ContainerLogWriter(f);
    w.write('stdout', Buffer.from(`a\nb\n${'y'.repeat(17_000)}\nc\n`));
    w.close();
    expect(readLog(f, { tailLines: 2 }).toString()).toBe(`${'y'.repeat(17_000)}\nc\n`);
    expect(readLog(f, { tailLines: 0 }).toString()).toBe('');
    expect(readLog(f, { limitBytes: 3 }).toString()).toBe('a\nb');
    expect(readLog(f, { tailLines: 1, timestamps: true }).toString()).toMatch(/^\d{4}-\S+Z c\n$/);
    expect(readLog(f, { sinceTime: new Date(Date.now() + 60_000) }).toString()).toBe('');
  });

  it('follows a log until the attempt finishes', async () => {
    const f = tmpFile();
    const w = new ContainerLogWriter(f);
    w.write('stdout', Buffer.from('first\n'));
    let done = false;
    const got: string[] = [];
    const following = followLog(f, {}, (c) => void got.push(c.toString()), () => done, () => false, 20);
    await new Promise((r) => setTimeout(r, 60));
    w.write('stdout', Buffer.from('second\n'));
    await new Promise((r) => setTimeout(r, 60));
    w.write('stdout', Buffer.from('third\n'));
    w.close();
    done = true;
    await following;
    expect(got.join('')).toBe('first\nsecond\nthird\n');
  });
});
