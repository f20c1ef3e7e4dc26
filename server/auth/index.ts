import "server-only";
import NextAuth from "next-auth";
import { buildAuthConfig } from "./auth-config";

/** Auth.js, configured lazily so the configuration is read at run time, not at build time. */
export const { handlers, auth, signIn, signOut } = NextAuth(() => buildAuthConfig());
