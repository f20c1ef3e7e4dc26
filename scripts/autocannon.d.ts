// The part of autocannon's API that scripts/bench-load.ts uses (the package ships no types).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  interface Client {
    setHeaders(headers: Record<string, string>): void;
  }
  interface Options {
    url: string;
    connections?: number;
    connectionRate?: number;
    duration?: number;
    timeout?: number;
    requests?: Array<{ method?: "GET" | "POST"; path: string; headers?: Record<string, string> }>;
    setupClient?: (client: Client) => void;
  }
  interface Result {
    totalRequests: number;
    totalCompletedRequests: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
    requests: { average: number };
  }
  interface Tracker extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }
  function autocannon(options: Options): Tracker;
  export default autocannon;
}
