"use client";

import { IntentLink } from "@/components/ui/intent-link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { NAV_ITEMS, isActive } from "@/lib/nav";
import { NavAlertCount } from "./alerts/nav-alert-count";

/** Section navigation: a sidebar on wide screens, a collapsible menu on phones. */
export function Nav({ alertCount = 0 }: { alertCount?: number }) {
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  return (
    <nav aria-label="Sections" className="md:w-52 md:shrink-0">
      <button
        type="button"
        className="mb-2 w-full rounded-md border border-slate-300 px-3 py-2 text-left text-sm md:hidden dark:border-slate-700"
        aria-expanded={open}
        aria-controls="section-links"
        onClick={() => setOpen((v) => !v)}
      >
        {open ? "Close menu" : "Menu"}
      </button>
      <ul id="section-links" className={`${open ? "block" : "hidden"} space-y-1 md:block`}>
        {NAV_ITEMS.map((item) => {
          const active = isActive(item.href, pathname);
          return (
            <li key={item.href}>
              <IntentLink
                href={item.href}
                data-testid={`nav-${item.id}`}
                aria-current={active ? "page" : undefined}
                onClick={() => setOpen(false)}
                className={`block rounded-md px-3 py-2 text-sm ${
                  active
                    ? "bg-sky-100 font-medium text-sky-900 dark:bg-sky-950 dark:text-sky-200"
                    : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                }`}
              >
                {item.label}
                {item.id === "alerts" && <NavAlertCount initial={alertCount} />}
              </IntentLink>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
