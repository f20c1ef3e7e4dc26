import https from 'node:https';
import type { LabKubeClient } from '../cluster/kube-http';

/**
 * List-then-watch of one collection, as an informer does: `sync` gets the full list (at start and
 * after every relist: a 410 Gone or a broken connection), `event` every change after it.
 * Bookmarks keep the resourceVersion fresh; errors back off up to 10 s.
 */
export interface WatchHandlers<T> {
  sync(items: T[]): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
}

interface ListResponse<T> {
  items: T[];
  metadata: { resourceVersion: string };
}

export interface WatchHandle {
  stop(): void;
  /** Resolves after the first list was handed to `sync`. */
  ready: Promise<void>;
}

export function watchCollection<T>(
  client: LabKubeClient,
  path: string,
  query: Record<string, string>,
  handlers: WatchHandlers<T>,
  log: (msg: string) => void,
): WatchHandle {
  const agent = new https.Agent({ keepAlive: true, ca: client.target.ca, cert: client.target.cert, key: client.target.key });
  let stopped = false;
  let current: import('node:http').ClientRequest | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));

  const stream = (rv: string): Promise<{ rv: string; relist: boolean }> =>
    new Promise((resolve) => {
      const url = new URL(path, client.target.server);
      for (const [k, v] of Object.entries({ ...query, watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: '300' })) url.searchParams.set(k, v);
      let last = rv;
      let relist = false;
      let buf = '';
      const req = https.request(url, { agent, headers: { Accept: 'application/json' } }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          res.resume();
          resolve({ rv: last, relist: true });
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            let ev: { type: string; object: T & { metadata?: { resourceVersion?: string }; code?: number } };
            try {
              ev = JSON.parse(line) as typeof ev;
            } catch {
              continue;
            }
            if (ev.type === 'ERROR') {
              relist = true;
              req.destroy();
              continue;
            }
            const v = ev.object.metadata?.resourceVersion;
            if (v) last = v;
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') {
              try {
                handlers.event(ev.type, ev.object);
              } catch (err) {
                log(`watch ${path}: handler failed: ${(err as Error).message}`);
              }
            }
          }
        });
        res.on('end', () => resolve({ rv: last, relist }));
        res.on('error', () => resolve({ rv: last, relist: true }));
      });
      current = req;
      req.on('error', () => resolve({ rv: last, relist: true }));
      req.end();
    });

  void (async () => {
    let backoff = 500;
    let rv: string | undefined;
    while (!stopped) {
      try {
        if (rv === undefined) {
          const list = await client.request<ListResponse<T>>({ path, query });
          handlers.sync(list.items);
          markReady();
          rv = list.metadata.resourceVersion;
          backoff = 500;
        }
        const r = await stream(rv);
        if (stopped) break;
        rv = r.relist ? undefined : r.rv;
        if (r.relist) {
          await new Promise((res) => setTimeout(res, backoff));
          backoff = Math.min(10_000, backoff * 2);
        }
      } catch (err) {
        if (stopped) break;
        log(`watch ${path}: ${(err as Error).message.split('\n')[0]}; retrying in ${backoff} ms`);
        rv = undefined;
        await new Promise((res) => setTimeout(res, backoff));
        backoff = Math.min(10_000, backoff * 2);
      }
    }
  })();

  return {
    ready,
    stop: () => {
      stopped = true;
      current?.destroy();
      agent.destroy();
    },
  };
}
