"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/**
 * Keeps the Readiness page current: the page is re-rendered every `seconds` while it is visible
 * (the matrix is computed again on the server from what the panel holds), so a cell that slips or
 * recovers shows without a reload. A dialog's state on the page is kept across the refresh.
 */
export function ReadinessLive({ seconds }: { seconds: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [seconds, router]);
  return null;
}
