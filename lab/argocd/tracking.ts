import { splitApiVersion, type KubeObject } from '../cluster/kube-http';

/**
 * How Argo CD marks and writes what it manages, shared by the seeding (the first sync) and the lab's
 * application controller, so that both leave the same field owners and tracking annotations.
 */

/** Field manager of Argo CD's server-side apply (`common.ArgoCDSSAManager`). */
export const ARGOCD_FIELD_MANAGER = 'argocd-controller';
/** Manager of the Application status the application controller writes. */
export const ARGOCD_STATUS_MANAGER = 'argocd-application-controller';
/** Manager of the Applications an ApplicationSet generates. */
export const APPSET_FIELD_MANAGER = 'argocd-applicationset-controller';
/** Argo CD's annotation resource tracking (`application.resourceTrackingMethod: annotation`). */
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Sync options of one resource (`Prune=false`, ...). */
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
/** Sync wave of one resource. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Asks the controller for a refresh (`normal`) or a refresh that re-renders the manifests (`hard`). */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/** A lab control, not Argo CD's: makes rendering fail for one Application, with the value as the error. */
export const RENDER_ERROR_ANNOTATION = 'lab.k8s-nas-panel/render-error';
/** Finalizer that makes deleting an Application delete its resources first. */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/**
 * The name Argo CD tracks an Application's resources by: its name when it lives in Argo CD's own
 * namespace, `<namespace>_<name>` otherwise.
 */
export function appInstanceName(app: { metadata: { name: string; namespace?: string } }, controllerNamespace = 'argocd'): string {
  const ns = app.metadata.namespace ?? controllerNamespace;
  return ns === controllerNamespace ? app.metadata.name : `${ns}_${app.metadata.name}`;
}

/** `<app>:<group>/<kind>:<namespace>/<name>`, the value of the tracking annotation. */
export function trackingId(instance: string, obj: KubeObject): string {
  const { group } = splitApiVersion(obj.apiVersion);
  return `${instance}:${group}/${obj.kind}:${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

/** The Application instance a live object's tracking annotation names, if any. */
export function trackedBy(obj: { metadata: { annotations?: Record<string, string> } }): string | undefined {
  const v = obj.metadata.annotations?.[TRACKING_ANNOTATION];
  if (!v) return undefined;
  const i = v.indexOf(':');
  return i > 0 ? v.slice(0, i) : undefined;
}

/** Whether a resource's sync-options annotation holds `option` (e.g. `Prune=false`). */
export function hasSyncOption(obj: { metadata: { annotations?: Record<string, string> } }, option: string): boolean {
  const v = obj.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION];
  return !!v && v.split(',').map((x) => x.trim()).includes(option);
}
