import { IntentLink } from "@/components/ui/intent-link";
import { Nav } from "@/components/nav";
import { Providers } from "@/components/providers";
import { Badge } from "@/components/ui/badge";
import { logout } from "@/server/actions/auth";
import { getAlertCount } from "@/server/alerts/service";
import { requirePageUser } from "@/server/auth/session";
import { getPanelSettings } from "@/server/panel/settings";

export const dynamic = "force-dynamic";

/** The signed-in frame: header with the user and role, section navigation, content. */
export default async function PanelLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser("viewer");
  const { stackName } = getPanelSettings();
  const alertCount = await getAlertCount().catch(() => 0);
  return (
    <Providers>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-900">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <IntentLink href="/" className="font-semibold" data-testid="stack-name">
            {stackName}
          </IntentLink>
          <div className="flex items-center gap-3 text-sm">
            <span data-testid="current-user">
              {user.name} <Badge tone={user.role === "admin" ? "ok" : "neutral"}>{user.role}</Badge>
            </span>
            <form action={logout}>
              <button
                type="submit"
                data-testid="sign-out"
                className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
              >
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <div className="mx-auto flex max-w-7xl flex-col gap-6 px-4 py-6 md:flex-row">
        <Nav alertCount={alertCount} />
        <main id="main" className="min-w-0 flex-1">
          {children}
        </main>
      </div>
    </Providers>
  );
}
