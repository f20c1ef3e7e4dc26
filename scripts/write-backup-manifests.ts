/**
 * Writes deploy/backups.yaml from deploy/backup-manifests.ts (the backup script, the policies).
 * Run after changing the backup script or the policies: `npm run deploy:backups`.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { renderBackupsYaml } from "../deploy/backup-manifests";

const file = path.join(__dirname, "..", "deploy", "backups.yaml");
writeFileSync(file, renderBackupsYaml());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
