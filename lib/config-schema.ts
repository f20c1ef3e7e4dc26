import { z } from "zod";
import { APP_KINDS, LIBRARY_APP_KINDS, libraryOf, type LibraryAppKind } from "./apps/catalogue";
import { repoUrlCredentialProblem } from "./gitops/repo-url";
import { parseCidr } from "./net/addresses";

/**
 * The panel's configuration file (YAML, path in `PANEL_CONFIG`). Secrets never live here: the file names
 * the environment variables that hold them (`...Env` keys). Unknown keys are errors, so a typo is caught
 * at start instead of being silently ignored. Every key is documented in the README.
 */
const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, "must be the NAME of an environment variable (A-Z, 0-9, _), not a value");

const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^\s/]+/.test(v), "must be an http:// or https:// URL");

const roleName = z.enum(["admin", "viewer"]);

/** `host:port` (a name, an IPv4 address or a bracketed IPv6 address). */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "must be host:port");

/** An object with one key per app that manages a media library (`sonarr`, `radarr`, ...), from the catalogue. */
function perLibraryApp(field: (kind: LibraryAppKind) => z.ZodDefault<z.ZodString>) {
  const shape = Object.fromEntries(LIBRARY_APP_KINDS.map((kind) => [kind, field(kind)])) as Record<LibraryAppKind, z.ZodDefault<z.ZodString>>;
  return z.strictObject(shape);
}

const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Kubernetes namespace name (lowercase letters, digits, '-')");

const localUser = z.strictObject({
  username: z.string().min(1).max(64).regex(/^[A-Za-z0-9._@-]+$/, "may hold letters, digits and . _ @ - only"),
  role: roleName,
  /** Environment variable holding the scrypt hash made by `npm run hash-password`. */
  passwordHashEnv: envName,
});

const oidc = z.strictObject({
  /** Issuer URL (Authelia, Authentik, Keycloak, Dex, ...): discovery is read from `/.well-known/openid-configuration`. */
  issuer: httpUrl,
  /**
   * How often a signed-in user's groups are read again from the issuer (its userinfo endpoint, with a
   * token refresh when the access token has expired); a user who lost the groups loses the role then.
   */
  recheckSeconds: z.number().int().min(10).max(3600).default(300),
  clientId: z.string().min(1),
  clientSecretEnv: envName,
  /** Label on the sign-in button. */
  name: z.string().min(1).default("Single sign-on"),
  scopes: z.array(z.string().min(1)).default(["openid", "profile", "email", "groups"]),
  /** Claim holding the user's groups (a string or a list of strings). */
  roleClaim: z.string().min(1).default("groups"),
  adminGroups: z.array(z.string().min(1)).default([]),
  viewerGroups: z.array(z.string().min(1)).default([]),
  /** Role for a signed-in OIDC user in none of the groups; `none` refuses the sign-in. */
  defaultRole: z.enum(["admin", "viewer", "none"]).default("none"),
});

const secretRef = z.strictObject({
  namespace: namespaceName,
  name: z.string().min(1),
});

/** A Prometheus duration: `30s`, `5m`, `1h30m`, `7d`. */
export const promDuration = z
  .string()
  .trim()
  .regex(/^(\d+(ms|s|m|h|d|w|y))+$/, "must be a Prometheus duration such as 30s, 5m or 1h");

const severityName = z.enum(["critical", "warning", "info"]);

/** An HTTP API the panel reads (Prometheus, Alertmanager), with an optional bearer token from the environment. */
const monitoringApi = z.strictObject({
  url: httpUrl,
  /** Variable holding a bearer token when the API sits behind authentication. */
  bearerTokenEnv: envName.optional(),
});

/** Priorities (ntfy's 1 min .. 5 max) per severity, and for recovery messages. */
const ntfyPriorities = z
  .strictObject({
    critical: z.number().int().min(1).max(5).default(5),
    warning: z.number().int().min(1).max(5).default(4),
    info: z.number().int().min(1).max(5).default(3),
    resolved: z.number().int().min(1).max(5).default(3),
  })
  .prefault({});

const targetName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "may hold lowercase letters, digits and '-' (at most 40)");

/** A ntfy server and topic (https://ntfy.sh or a self-hosted one). */
const ntfyTarget = z.strictObject({
  type: z.literal("ntfy"),
  name: targetName,
  /** The server's root URL, e.g. `https://ntfy.sh`. */
  url: httpUrl,
  /** The topic; on a public server a topic works like a password, so `topicEnv` keeps it out of the file. */
  topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, "ntfy topics hold letters, digits, '-' and '_' (at most 64)").optional(),
  topicEnv: envName.optional(),
  /** Variable with an access token (`tk_...`) for a protected topic. */
  tokenEnv: envName.optional(),
  priorities: ntfyPriorities,
  /** Least severity sent to this target. */
  minSeverity: severityName.default("warning"),
});

/** A generic JSON webhook (Home Assistant, n8n, Discord through a bridge, ...). */
const webhookTarget = z.strictObject({
  type: z.literal("webhook"),
  name: targetName,
  /** The URL, or `urlEnv` when the URL itself holds a secret (most chat webhooks do). */
  url: httpUrl.optional(),
  urlEnv: envName.optional(),
  /** Extra request headers whose values come from the environment (e.g. `Authorization`). */
  headers: z
    .array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name"), valueEnv: envName }))
    .default([]),
  minSeverity: severityName.default("warning"),
});

const notificationTarget = z.discriminatedUnion("type", [ntfyTarget, webhookTarget]).superRefine((t, ctx) => {
  if (t.type === "ntfy" && (t.topic === undefined) === (t.topicEnv === undefined)) {
    ctx.addIssue({ code: "custom", path: ["topic"], message: "give exactly one of topic and topicEnv" });
  }
  if (t.type === "webhook" && (t.url === undefined) === (t.urlEnv === undefined)) {
    ctx.addIssue({ code: "custom", path: ["url"], message: "give exactly one of url and urlEnv" });
  }
});

export const panelConfigSchema = z.strictObject({
  server: z
    .strictObject({
      /** The URL people open (used in links, pull-request bodies and cookie security). */
      publicUrl: httpUrl.optional(),
      /** Directory for SQLite and the Git work tree; `PANEL_DATA_DIR` overrides it. */
      dataDir: z.string().min(1).default("./.data"),
      /** Log level of the JSON logs. */
      logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
      /**
       * Reverse proxies (the ingress controller) whose `X-Forwarded-For`, `X-Forwarded-Proto` and
       * `X-Real-IP` headers are believed, as addresses or CIDR ranges. Empty: nobody's are, and every
       * client is the address of its TCP connection.
       */
      trustedProxies: z
        .array(z.string().refine((v) => parseCidr(v) !== undefined, "must be an IP address or CIDR range (10.42.0.0/16)"))
        .default([]),
    })
    .prefault({}),
  kubernetes: z
    .strictObject({
      /** `in-cluster` uses the pod's ServiceAccount; `kubeconfig` reads a file; `none` runs without a cluster. */
      mode: z.enum(["in-cluster", "kubeconfig", "none"]).default("none"),
      /** Kubeconfig path when `mode: kubeconfig` (`KUBECONFIG` is used when this is not set). */
      kubeconfig: z.string().min(1).optional(),
      /** Context within the kubeconfig; its current context when not set. */
      context: z.string().min(1).optional(),
      /** Namespaces the panel watches. */
      namespaces: z.array(namespaceName).default(["media", "qbittorrent", "monitoring", "homepage", "argocd"]),
      /** Timeout of a single API call, in milliseconds. */
      requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      /**
       * How the informers watch: `namespaces` opens one watch per kind and namespace (works with a Role
       * per namespace); `cluster` opens one cluster-wide watch per kind and keeps the listed namespaces.
       */
      watchScope: z.enum(["namespaces", "cluster"]).default("namespaces"),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      /** App kind of a workload, by `<namespace>/<workload>`; wins over the annotation and the image. */
      kindOverrides: z
        .record(z.string().regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, "keys must look like namespace/workload"), z.enum(APP_KINDS))
        .default({}),
      /** How long a request waits for the informers' first sync before answering with what they have. */
      syncTimeoutMs: z.number().int().min(0).max(60_000).default(5_000),
      /** Namespace of the Argo CD Applications named by `argocd.argoproj.io/instance` labels. */
      argocdNamespace: namespaceName.default("argocd"),
    })
    .prefault({}),
  /**
   * In-cluster addresses rewritten for a panel running outside the cluster (like `kubectl port-forward`):
   * `service.namespace` -> `http://127.0.0.1:PORT`.
   */
  addressMap: z
    .record(
      z
        .string()
        .regex(/^[a-z0-9-]+\.[a-z0-9-]+(:[0-9]{1,5})?$/, "keys must look like service.namespace (optionally :port)"),
      httpUrl,
    )
    .default({}),
  apps: z
    .strictObject({
      /** Where the apps' API keys live; `default` is used for every app without its own entry. */
      secretRefs: z.record(z.string(), secretRef).default({ default: { namespace: "media", name: "starr-secrets" } }),
      /**
       * Credentials given through the panel's own environment instead of the cluster's Secret, by app id
       * (e.g. qBittorrent's Web UI login). Each `...Env` names a variable; `username` is a plain value.
       */
      credentials: z
        .record(
          z.string(),
          z.strictObject({
            username: z.string().min(1).optional(),
            usernameEnv: envName.optional(),
            passwordEnv: envName.optional(),
            apiKeyEnv: envName.optional(),
          }),
        )
        .default({}),
      /**
       * Workloads (`namespace/workload`) that may be sent an app credential although they are outside
       * the namespace of the Secret it comes from, or behind a NodePort or LoadBalancer Service. By
       * default a key goes only to workloads in its Secret's own namespace behind a ClusterIP Service;
       * an ExternalName Service never gets one.
       */
      keyRecipients: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, "entries must look like namespace/workload")).default([]),
    })
    .prefault({}),
  gitops: z
    .strictObject({
      /** The kustomize repository Argo CD deploys from. */
      repoUrl: z
        .string()
        .min(1)
        .superRefine((url, ctx) => {
          const problem = repoUrlCredentialProblem(url);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      /** Branch Argo CD deploys from; read from the Applications' `targetRevision` when not set. */
      baseBranch: z.string().min(1).optional(),
      /** Folder holding the apps, relative to the repository root. */
      appsPath: z.string().min(1).default("apps"),
      forge: z.enum(["github", "gitea", "none"]).default("github"),
      /** Forge API base URL (GitHub Enterprise, Gitea); derived from `repoUrl` when not set. */
      apiUrl: httpUrl.optional(),
      tokenEnv: envName.default("GITOPS_TOKEN"),
      /** User name for HTTPS Git with basic authentication (GitHub accepts any name with a token). */
      username: z.string().min(1).max(128).default("x-access-token"),
      /** Variable with the HTTPS Git password when it is not the forge token (`tokenEnv`). */
      passwordEnv: envName.optional(),
      /** Variable with an SSH private key (deploy key) for `git@host:owner/repo.git` URLs. */
      sshKeyEnv: envName.optional(),
      /** How often the Changes page re-reads pull requests and Argo CD, in seconds. */
      pollSeconds: z.number().int().min(5).max(3600).default(30),
      author: z
        .strictObject({ name: z.string().min(1), email: z.string().email() })
        .default({ name: "k8s-nas-panel", email: "k8s-nas-panel@noreply.local" }),
    })
    .optional(),
  auth: z
    .strictObject({
      localUsers: z
        .array(localUser)
        .default([{ username: "admin", role: "admin", passwordHashEnv: "PANEL_ADMIN_PASSWORD_HASH" }]),
      oidc: oidc.optional(),
      /** Session lifetime in hours, counted from the sign-in (activity does not extend it). */
      sessionHours: z.number().int().min(1).max(24 * 30).default(8),
      /**
       * Failed sign-ins an address may make on one account before it has to wait; each further failure
       * doubles the wait (1 s, 2 s, 4 s...) up to `lockoutMinutes`.
       */
      maxFailedLogins: z.number().int().min(1).max(100).default(5),
      /** Longest wait after failed sign-ins, and how long failures are remembered, in minutes. */
      lockoutMinutes: z.number().int().min(1).max(24 * 60).default(15),
      /**
       * Password checks per minute across all clients; past it, only addresses without a recent failed
       * sign-in may try (so a flood cannot keep the owner out, nor keep the CPU busy with scrypt).
       */
      signInAttemptsPerMinute: z.number().int().min(5).max(10_000).default(60),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** Days the audit log is kept; older events are deleted every hour. */
      retentionDays: z.number().int().min(1).max(3650).default(90),
    })
    .prefault({}),
  health: z
    .strictObject({
      /** Seconds between two probe sweeps of every app. */
      probeIntervalSeconds: z.number().int().min(5).max(3600).default(30),
      /** Deadline of one app's probe (all its requests), in milliseconds. */
      probeTimeoutMs: z.number().int().min(200).max(120_000).default(5_000),
      /** Probes running at the same time. */
      probeConcurrency: z.number().int().min(1).max(100).default(10),
      /** Response time from which an app counts as slow (degraded), in milliseconds. */
      slowMs: z.number().int().min(1).max(120_000).default(2_000),
      /** Container restarts within the last hour from which a service counts as degraded. */
      restartsPerHourDegraded: z.number().int().min(1).max(1000).default(3),
      /** Uptime target shown beside the 24 h / 7 d / 30 d figures, in percent. */
      uptimeTargetPercent: z.number().min(0).max(100).default(99),
      /** How long raw probe results are kept, in hours. */
      rawRetentionHours: z.number().int().min(1).max(24 * 30).default(48),
      /** How long hourly rollups are kept, in days. */
      rollupRetentionDays: z.number().int().min(1).max(3650).default(90),
    })
    .prefault({}),
  integrations: z
    .strictObject({
      /** Download category each library app uses in qBittorrent and SABnzbd (defaults from the app catalogue). */
      categories: perLibraryApp((kind) => z.string().min(1).max(64).default(libraryOf(kind).category)).prefault({}),
      /** Root folder created when a library app has none (an existing one is kept, whatever its path). */
      rootFolders: perLibraryApp((kind) => z.string().regex(/^\//, "must be an absolute path").default(libraryOf(kind).rootFolder)).prefault({}),
      /** Prowlarr's sync level for the applications it creates. */
      prowlarrSyncLevel: z.enum(["fullSync", "addOnly", "disabled"]).default("fullSync"),
      /** Timeout of one request to an app while reading or fixing links (tests can be slow), in milliseconds. */
      requestTimeoutMs: z.number().int().min(500).max(120_000).default(15_000),
      /** How long a failed download-client test is reused before the app is asked to log in again, in seconds. */
      failedTestCacheSeconds: z.number().int().min(0).max(3600).default(60),
      vpn: z
        .strictObject({
          /** Addresses (or CIDR ranges) the download clients' traffic must never exit from: the home connection. */
          mustDifferFrom: z.array(z.string().min(1)).default([]),
          /** URL answering the cluster's own egress address as plain text (e.g. https://api.ipify.org); the VPN exit must differ. */
          egressIpUrl: httpUrl.optional(),
          /** Countries the VPN exit must be in (Gluetun's `country`); empty: not checked. */
          expectedCountries: z.array(z.string().min(1)).default([]),
          /** IPv4 ranges (CIDR) the VPN exit must be in; empty: not checked. */
          expectedRanges: z.array(z.string().min(1)).default([]),
          /** How often the VPN verdict is checked in the background, in seconds (a metrics scrape never checks). */
          checkIntervalSeconds: z.number().int().min(15).max(86_400).default(60),
          /** Variable with the Gluetun control-server API key for every Gluetun without its own entry. */
          apiKeyEnv: envName.optional(),
          /** Per workload (`namespace/name`) with a Gluetun sidecar: the variable holding its control-server key. */
          controlServers: z
            .record(
              z.string().regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, "keys must look like namespace/workload"),
              z.strictObject({ apiKeyEnv: envName.optional(), port: z.number().int().min(1).max(65535).default(8000) }),
            )
            .default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** The Prometheus whose alerts and rules the Alerts page shows (its HTTP API). */
      prometheus: monitoringApi.optional(),
      /** The Alertmanager whose alerts and silences the Alerts page shows; silences are made there. */
      alertmanager: monitoringApi.optional(),
      /** How often the Alerts page data (and the navigation count) is read from them, in seconds. */
      pollSeconds: z.number().int().min(5).max(3600).default(30),
      /** Thresholds of the alert rules the panel proposes for Prometheus (Changes: "Alert rules"). */
      rules: z
        .strictObject({
          serviceDownFor: promDuration.default("5m"),
          appErrorsFor: promDuration.default("15m"),
          /** Container restarts within the last hour from which a pod counts as crash-looping. */
          crashLoopRestartsPerHour: z.number().int().min(1).max(1000).default(3),
          certificateWarningDays: z.number().int().min(1).max(365).default(30),
          certificateCriticalDays: z.number().int().min(1).max(365).default(7),
          backupMaxAgeHours: z.number().int().min(1).max(24 * 90).default(26),
          vpnLeakFor: promDuration.default("1m"),
          pvcPercent: z.number().min(1).max(100).default(85),
          cpuPercent: z.number().min(1).max(1000).default(80),
          memoryPercent: z.number().min(1).max(100).default(85),
          /** How long CPU, memory or a volume must stay over its threshold. */
          resourceFor: promDuration.default("15m"),
        })
        .prefault({}),
      /** The panel's own detector over its probes: notifications without Prometheus. */
      detector: z
        .strictObject({
          /** Consecutive probes that found a service down before it is reported (the grace period). */
          downProbes: z.number().int().min(1).max(100).default(3),
          /** Report services that stay degraded (app warnings, slow, restarts) too. */
          degraded: z.boolean().default(true),
          /** Consecutive probes that found a service down or degraded before a warning is reported. */
          degradedProbes: z.number().int().min(1).max(1000).default(10),
          /** Consecutive probes that found it up again before the recovery message. */
          recoveryProbes: z.number().int().min(1).max(100).default(2),
          /** A firing alert is sent again after this many minutes while it lasts; 0: never. */
          repeatMinutes: z.number().int().min(0).max(7 * 24 * 60).default(240),
        })
        .prefault({}),
      /** Folder of your own runbooks in the GitOps repository (`<alert-or-app>.md`); they override or add to the panel's. */
      runbooksPath: z.string().min(1).default("docs/runbooks"),
    })
    .prefault({}),
  notifications: z
    .strictObject({
      /** Where the panel's own detector sends its messages. */
      targets: z.array(notificationTarget).default([]),
      /** Timeout of one delivery attempt, in milliseconds. */
      timeoutMs: z.number().int().min(500).max(60_000).default(10_000),
      /** A message that cannot be delivered is retried (with back-off up to 10 minutes) for this many hours. */
      retryHours: z.number().int().min(1).max(24 * 14).default(24),
    })
    .prefault({})
    .superRefine((n, ctx) => {
      const seen = new Set<string>();
      n.targets.forEach((t, i) => {
        if (seen.has(t.name)) ctx.addIssue({ code: "custom", path: ["targets", i, "name"], message: `another target is named "${t.name}"` });
        seen.add(t.name);
      });
    }),
  certificates: z
    .strictObject({
      /** Days of validity left from which a certificate is a warning. */
      warnDays: z.number().int().min(1).max(365).default(30),
      /** Days of validity left from which a certificate is critical. */
      criticalDays: z.number().int().min(0).max(365).default(7),
      /** Seconds between two live TLS probes of every Ingress host (and HTTPS-only checks). */
      probeIntervalSeconds: z.number().int().min(5).max(86_400).default(300),
      /** Deadline of one handshake or HTTP request, in milliseconds. */
      probeTimeoutMs: z.number().int().min(200).max(60_000).default(5_000),
      /** Probes running at the same time. */
      probeConcurrency: z.number().int().min(1).max(100).default(10),
      /** Days the probe history is kept. */
      historyDays: z.number().int().min(1).max(3650).default(30),
      /** PEM file of CA certificates trusted besides the system roots (a private CA). */
      caFile: z.string().min(1).optional(),
      /** Where HTTPS probes connect for every host (`host:port`, e.g. the ingress controller's Service); the host on 443 when not set. */
      httpsAddress: hostPort.optional(),
      /** Where plain-HTTP checks connect for every host; the host on 80 when not set. */
      httpAddress: hostPort.optional(),
      /** Per host, where its probes connect instead: `{ https, http }` as `host:port`. */
      addresses: z
        .record(
          z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i, "keys must be host names"),
          z.strictObject({ https: hostPort.optional(), http: hostPort.optional() }),
        )
        .default({}),
    })
    .prefault({})
    .refine((c) => c.criticalDays < c.warnDays, { message: "criticalDays must be lower than warnDays", path: ["criticalDays"] }),
  backups: z
    .strictObject({
      /** Namespaces that hold backup CronJobs: the panel watches their CronJobs and Jobs there (deploy/backups.yaml grants it). */
      namespaces: z.array(namespaceName).default(["media", "qbittorrent"]),
      /**
       * Image of the backup Jobs and the restore init container "enable backups" adds: it needs sh,
       * tar, gzip, sha256sum, awk, sed and sqlite3 (Alpine with the sqlite3 shell). It must be on the
       * admission policy's list of images (deploy/backups.yaml). Pin it by digest if you like.
       */
      image: z.string().min(1).default("docker.io/keinos/sqlite3:3.47.2"),
      /** ServiceAccount the backup Jobs run as (never `default`; deploy/backups.yaml creates it, without a token). */
      serviceAccount: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        .refine((v) => v !== "default", "the backup Jobs never run as the default ServiceAccount")
        .default("k8s-nas-panel-backup"),
      /** The claim "enable backups" offers for the archives, in the service's namespace (a volume on the NAS). */
      claim: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).default("backups"),
      /** Schedule of the CronJobs "enable backups" proposes. */
      schedule: z.string().min(9).default("30 3 * * *"),
      /** Archives a CronJob keeps on the backup volume (pre-restore archives: the last 5, apart). */
      keep: z.number().int().min(1).max(1000).default(14),
      /** Deadline of one backup Job (activeDeadlineSeconds). */
      jobTimeoutSeconds: z.number().int().min(60).max(86_400).default(1800),
      /** How long a restore waits for the service to be healthy again before putting the previous state back. */
      restoreTimeoutSeconds: z.number().int().min(30).max(3600).default(300),
      /** Days between two restore drills of each service's latest backup; 0 turns the schedule off (drills on demand stay). */
      drillIntervalDays: z.number().int().min(0).max(365).default(7),
      /** Minutes between two reads of the apps' own backup lists. */
      refreshMinutes: z.number().int().min(1).max(1440).default(15),
      /** Namespace of Velero's Backups and Schedules, read when its CRDs exist. */
      veleroNamespace: namespaceName.default("velero"),
    })
    .prefault({}),
  observability: z
    .strictObject({
      logs: z
        .strictObject({
          /** Lines read per container run (the current one and the one before the last restart). */
          tailLines: z.number().int().min(10).max(10_000).default(500),
          /** Whether viewers may read logs until an admin changes it in Settings (admins always may). */
          viewersByDefault: z.boolean().default(false),
          /** Loki's base URL (`http://loki.monitoring:3100`); without it a Loki Service in the watched namespaces is used. */
          lokiUrl: httpUrl.optional(),
          /** Tenant sent as `X-Scope-OrgID` to a multi-tenant Loki. */
          lokiTenant: z.string().min(1).max(128).optional(),
          /** How far back a Loki query looks, in hours. */
          lokiLookbackHours: z.number().int().min(1).max(24 * 31).default(24),
        })
        .prefault({}),
      prometheus: z
        .strictObject({
          /** Prometheus' base URL; without it the Prometheus Service in the watched namespaces is used. */
          url: httpUrl.optional(),
          /** Timeout of one query, in milliseconds. */
          timeoutMs: z.number().int().min(200).max(60_000).default(5_000),
        })
        .prefault({}),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /**
       * Variable holding the bearer token `/api/metrics` requires (`Authorization: Bearer <token>`);
       * `PANEL_METRICS_TOKEN` when not set. Without the variable, metrics answer nobody.
       */
      bearerTokenEnv: envName.optional(),
      /** Serve `/api/metrics` to anyone without a token (only on a network where that is wanted). */
      public: z.boolean().default(false),
    })
    .prefault({}),
});

export type PanelConfig = z.infer<typeof panelConfigSchema>;
export type PanelConfigInput = z.input<typeof panelConfigSchema>;

/** One problem in a config file: the dotted path of the field and what is wrong with it. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Formats zod issues as `field.path: problem` lines. */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((issue) => {
    const path = issue.path.length === 0 ? "(top level)" : formatPath(issue.path);
    let message = issue.message;
    if (issue.code === "invalid_key") {
      message = `invalid key: ${issue.issues.map((i) => i.message).join("; ")}`;
    } else if (issue.code === "unrecognized_keys") {
      message = `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    }
    return { path, message };
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
    .join("");
}

/** Parses an already-loaded YAML value. Throws nothing: returns the config or the problems. */
export function parsePanelConfig(
  raw: unknown,
): { ok: true; config: PanelConfig } | { ok: false; problems: ConfigProblem[] } {
  const result = panelConfigSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, problems: describeConfigIssues(result.error.issues) };
}

/** One notification target of the configuration (ntfy or webhook). */
export type NotificationTargetConfig = PanelConfig["notifications"]["targets"][number];
/** The thresholds of the alert rules the panel proposes. */
export type AlertRuleThresholds = PanelConfig["alerts"]["rules"];
/** Settings of the panel's own detector. */
export type DetectorConfig = PanelConfig["alerts"]["detector"];
