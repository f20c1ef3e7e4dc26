"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import type { LiveChange } from "@/lib/overview";

/** How often a view polls while the live events are not reaching it (a proxy that buffers them, a reconnect). */
export const POLL_WITHOUT_EVENTS_MS = 15_000;

/** A query a view shows, and which changes concern it (all by default). */
export interface LiveSubscription {
  queryKey: readonly unknown[];
  /** True when the change concerns what the query shows (e.g. one service's page: its own id). */
  shows?: (change: LiveChange) => boolean;
}

function parseChange(data: unknown): LiveChange | undefined {
  if (typeof data !== "string") return undefined;
  try {
    const parsed = JSON.parse(data) as Partial<LiveChange>;
    if (!Array.isArray(parsed.services)) return undefined;
    return {
      at: Number(parsed.at) || Date.now(),
      services: parsed.services,
      appKinds: parsed.appKinds ?? [],
      ...(Array.isArray(parsed.hosts) ? { hosts: parsed.hosts } : {}),
      ...(parsed.applications ? { applications: true } : {}),
      ...(parsed.cluster ? { cluster: true } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Subscribes to the panel's server-sent events and invalidates a query only when a change concerns
 * what it shows (the events name the services that changed). Reconnects by itself (EventSource
 * does); returns whether the stream is live, so a view can poll instead while it is not.
 */
export function useLiveUpdates(subscriptions: readonly LiveSubscription[]): boolean {
  const client = useQueryClient();
  const router = useRouter();
  const [live, setLive] = useState(false);
  const current = useRef(subscriptions);
  useEffect(() => {
    current.current = subscriptions;
  });
  useEffect(() => {
    const source = new EventSource("/api/events");
    const onChange = (event: MessageEvent) => {
      const change = parseChange(event.data);
      if (!change) return;
      for (const s of current.current) {
        if (change.cluster || !s.shows || s.shows(change)) void client.invalidateQueries({ queryKey: s.queryKey });
      }
    };
    source.addEventListener("open", () => setLive(true));
    source.addEventListener("error", () => setLive(false));
    source.addEventListener("services", onChange);
    source.addEventListener("probes", onChange);
    source.addEventListener("certificates", onChange);
    source.addEventListener("applications", onChange);
    source.addEventListener("cluster", onChange);
    // The session ended (signed out elsewhere, account removed, role lost): back to the sign-in page.
    source.addEventListener("session-ended", () => {
      source.close();
      router.replace(`/login?callbackUrl=${encodeURIComponent(window.location.pathname)}`);
    });
    return () => source.close();
  }, [client, router]);
  return live;
}
