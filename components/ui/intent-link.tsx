"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import type { ComponentProps, FocusEvent, MouseEvent, TouchEvent } from "react";

/**
 * `next/link` without viewport prefetching: a page is fetched ahead only when the person reaches for its
 * link (pointer over it, keyboard focus, a touch), never because the link scrolled into view. An
 * overview with 30 cards would otherwise make the server render 30 pages nobody asked for.
 */
export function IntentLink({ href, onMouseEnter, onFocus, onTouchStart, ...props }: Omit<ComponentProps<typeof Link>, "prefetch">) {
  const router = useRouter();
  const url = typeof href === "string" ? href : (href.pathname ?? null);
  const prefetch = () => {
    if (url?.startsWith("/")) router.prefetch(url);
  };
  return (
    <Link
      {...props}
      href={href}
      prefetch={false}
      onMouseEnter={(e: MouseEvent<HTMLAnchorElement>) => {
        prefetch();
        onMouseEnter?.(e);
      }}
      onFocus={(e: FocusEvent<HTMLAnchorElement>) => {
        prefetch();
        onFocus?.(e);
      }}
      onTouchStart={(e: TouchEvent<HTMLAnchorElement>) => {
        prefetch();
        onTouchStart?.(e);
      }}
    />
  );
}
