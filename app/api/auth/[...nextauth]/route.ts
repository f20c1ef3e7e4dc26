import { handlers } from "@/server/auth";

/** Auth.js endpoints (sign-in callbacks, CSRF, session); public by nature. */
export const { GET, POST } = handlers;
