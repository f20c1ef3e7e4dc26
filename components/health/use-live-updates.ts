"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

/**
 * Subscribes to the panel's server-sent events and invalidates the given queries when the cluster or a
 * probe reports a change. Reconnects by itself (EventSource does); reports whether the stream is live.
 */
export function useLiveUpdates(queryKeys: ReadonlyArray<readonly unknown[]>): boolean {
  const client = useQueryClient();
  const router = useRouter();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource("/api/events");
    const refresh = () => {
      for (const key of queryKeys) void client.invalidateQueries({ queryKey: key });
    };
    source.addEventListener("open", () => setLive(true));
    source.addEventListener("error", () => setLive(false));
    source.addEventListener("services", refresh);
    source.addEventListener("probes", refresh);
    // The session ended (signed out elsewhere, account removed, role lost): back to the sign-in page.
    source.addEventListener("session-ended", () => {
      source.close();
      router.replace(`/login?callbackUrl=${encodeURIComponent(window.location.pathname)}`);
    });
    return () => source.close();
    // The keys are literals of the caller; re-subscribing on identity change is not wanted.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, router]);
  return live;
}
