import "server-only";

/**
 * "Alerts changed" within the process: the detector (an alert fired, escalated or resolved), the
 * poller of Prometheus and Alertmanager (the firing set changed) and the actions (a silence). The
 * live events tell browsers which services it concerns, so the Alerts page and the count in the
 * navigation refetch only then.
 */
export interface AlertsChange {
  at: number;
  /** Services concerned (`namespace/name`); empty when not about one service. */
  services: string[];
}

type Listener = (change: AlertsChange) => void;

const holder = globalThis as typeof globalThis & { __panelAlertListeners?: Set<Listener> };

function listeners(): Set<Listener> {
  holder.__panelAlertListeners ??= new Set();
  return holder.__panelAlertListeners;
}

export function onAlertsChanged(listener: Listener): () => void {
  listeners().add(listener);
  return () => listeners().delete(listener);
}

export function emitAlertsChanged(services: readonly string[]): void {
  const change: AlertsChange = { at: Date.now(), services: [...new Set(services)] };
  for (const l of listeners()) {
    try {
      l(change);
    } catch {
      // A listener's failure is its own.
    }
  }
}
