/** The fixes a failing readiness cell carries (see `make-ready.ts` for how they are planned and run). */
import type { ChangeRequest } from "../gitops/change-kinds";

/** One fix a failing cell carries, in the terms of the action that performs it. */
export type ReadinessFix =
  | { kind: "integrations"; keys: string[] }
  | { kind: "renew-certificate"; namespace: string; name: string }
  | { kind: "probe-hosts"; hosts: string[] }
  | { kind: "backup-now"; serviceId: string }
  | { kind: "drill"; serviceId: string }
  | { kind: "test-notification" }
  | { kind: "change"; request: ChangeRequest };

export type FixKind = ReadinessFix["kind"];
