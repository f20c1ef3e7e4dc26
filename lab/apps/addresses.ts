import { readFileSync } from 'node:fs';
import { labFiles } from '../paths';
import type { AddressResolver } from '../executor/programs';

/**
 * In-cluster Service addresses as the lab serves them: `svc`, `svc.ns`, `svc.ns.svc` or
 * `svc.ns.svc.cluster.local` with a port, looked up in lab.json's address map (`svc.ns:port`
 * first, then `svc.ns`), the way the panel's own `addressMap` does for a panel outside the cluster.
 */

/** `{ service, namespace }` of an in-cluster host name (a short name is in `namespace`). */
export function serviceOfHost(host: string, namespace: string): { service: string; namespace: string } | undefined {
  const parts = host.toLowerCase().split('.');
  if (parts.length === 1) return { service: parts[0] as string, namespace };
  if (parts.length === 2 || (parts.length === 3 && parts[2] === 'svc') || (parts.length === 5 && parts.slice(2).join('.') === 'svc.cluster.local')) {
    return { service: parts[0] as string, namespace: parts[1] as string };
  }
  return undefined;
}

/** The resolver over an address map (`svc.ns[:port]` -> `http://127.0.0.1:P`). */
export function addressResolver(addressMap: Readonly<Record<string, string>>): AddressResolver {
  const lookup = (host: string, port: number, namespace: string): URL | undefined => {
    const svc = serviceOfHost(host, namespace);
    if (!svc) return undefined;
    const key = `${svc.service}.${svc.namespace}`;
    const mapped = addressMap[`${key}:${port}`] ?? addressMap[key];
    return mapped ? new URL(mapped) : undefined;
  };
  return {
    url(value, namespace) {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        return value;
      }
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      const to = lookup(u.hostname, port, namespace);
      if (!to) return value;
      const base = to.pathname.replace(/\/+$/, '');
      return `${to.protocol}//${to.host}${base}${u.pathname === '/' && value.endsWith('/') === false ? '' : u.pathname}${u.search}`;
    },
    hostPort(host, port, namespace) {
      const to = lookup(host, port, namespace);
      if (!to) return undefined;
      return { host: to.hostname, port: Number(to.port || (to.protocol === 'https:' ? 443 : 80)) };
    },
  };
}

/** The resolver of the running lab (lab.json's address map, read now). */
export function labAddressResolver(dir?: string): AddressResolver {
  let map: Record<string, string> = {};
  try {
    map = (JSON.parse(readFileSync(labFiles(dir).labJson, 'utf8')) as { addressMap?: Record<string, string> }).addressMap ?? {};
  } catch {
    map = {};
  }
  return addressResolver(map);
}
