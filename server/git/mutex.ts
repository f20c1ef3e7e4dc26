import "server-only";
import { KeyedMutex } from "@/lib/keyed-mutex";

const holder = globalThis as typeof globalThis & { __panelGitMutex?: KeyedMutex };

/** The process-wide lock table for git clones, one key per clone (shared by every module instance in the process). */
export function gitMutex(): KeyedMutex {
  holder.__panelGitMutex ??= new KeyedMutex();
  return holder.__panelGitMutex;
}
