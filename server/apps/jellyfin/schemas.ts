import "server-only";
import { z } from "zod";

/** `GET /System/Info/Public` (operation `GetPublicSystemInfo`, no key): the fields the panel uses. */
export const jellyfinPublicInfoSchema = z
  .object({
    ServerName: z.string().nullish(),
    Version: z.string(),
    ProductName: z.string().nullish(),
    Id: z.string().nullish(),
    StartupWizardCompleted: z.boolean().nullish(),
  })
  .loose();
export type JellyfinPublicInfo = z.infer<typeof jellyfinPublicInfoSchema>;

/** `GET /health` (ASP.NET health checks): `Healthy`, `Degraded` (200) or `Unhealthy` (503). */
export const jellyfinHealthTextSchema = z.string().trim();

/** `GET /System/Info` (operation `GetSystemInfo`, key needed): the fields the panel uses. */
export const jellyfinSystemInfoSchema = z.object({ Version: z.string().nullish(), Id: z.string().nullish() }).loose();
export type JellyfinSystemInfo = z.infer<typeof jellyfinSystemInfoSchema>;

/** `BackupManifestDto` (10.11 `GET /Backup`, `POST /Backup/Create`): the fields the panel uses. */
export const jellyfinBackupManifestSchema = z.object({ Path: z.string(), DateCreated: z.string(), ServerVersion: z.string().nullish() }).loose();
export type JellyfinBackupManifest = z.infer<typeof jellyfinBackupManifestSchema>;

/** The empty answer (204) of `POST /Backup/Restore`. */
export const jellyfinNoContentSchema = z.unknown();
