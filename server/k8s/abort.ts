import "server-only";
import { Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from "@kubernetes/client-node";

/**
 * Options for one call of a client-node typed API that abort the HTTP request after `timeoutMs`
 * (or when `signal` aborts): the request is cancelled, not just no longer awaited, so a hung API
 * server never piles up open requests. Every typed API call in the panel passes these.
 */
export function kubeCallOptions(timeoutMs: number, signal?: AbortSignal): ConfigurationOptions {
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
  // The object-parameter APIs take client-node's Observable middleware (its own small stub of rxjs).
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(combined);
          return new Observable(Promise.resolve(context));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

/** True when an error is the abort of {@link kubeCallOptions} (the request was cancelled). */
export function isAbortError(error: unknown): boolean {
  const e = error as { name?: string; type?: string } | null;
  return e?.name === "AbortError" || e?.type === "aborted" || e?.name === "TimeoutError";
}
