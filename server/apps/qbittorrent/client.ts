import "server-only";
import { AppError } from "@/lib/errors";
import { logger } from "@/server/observability/logger";
import { AppHttpError, httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import { installedLoginBackoff, PersistedBackoff, type LoginBackoffRecords } from "../login-backoff";
import { qbitLoginSchema, qbitTransferInfoSchema, qbitVersionSchema, qbitWebApiVersionSchema, type QbitTransferInfo } from "./schemas";

/** Options of one qBittorrent client instance. */
export interface QbittorrentClientOptions {
  baseUrl: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  /** Clock, for tests of the login back-off. */
  now?: () => number;
  /**
   * Where refused logins are kept across restarts; the process-wide store by default (the panel's
   * database), `null` for none (the count then lives in this instance only).
   */
  backoffRecords?: LoginBackoffRecords | null;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** First pause after a refused login; it doubles per failure up to {@link MAX_BACKOFF_MS}. */
export const FIRST_BACKOFF_MS = 60_000;
export const MAX_BACKOFF_MS = 30 * 60_000;
/** Pause after qBittorrent answered the login with 403 (the address is banned; its default ban lasts 1 h). */
export const BANNED_BACKOFF_MS = 60 * 60_000;
/**
 * Refused logins with one user name and password after which the panel stops trying them. qBittorrent
 * counts failed logins per address and bans the address at its 5th (`web_ui_max_auth_fail_count`)
 * for an hour (`web_ui_ban_duration`), however far apart they come; only a successful login clears
 * the count. Stopping at 3 leaves room for a restart of the panel before qBittorrent would ban it.
 */
export const MAX_LOGIN_FAILURES = 3;

/**
 * Client of one qBittorrent Web UI (WebAPI v2). Authentication is the session cookie (`SID`, or
 * `QBT_SID_<port>` in newer builds) from `POST /api/v2/auth/login`, held in this instance and renewed
 * when a request answers 403. qBittorrent bans an address after repeated failed logins, so a refused
 * login is never retried at once: further logins wait (1 min, doubling, at most 30 min; 1 h after a
 * ban), after {@link MAX_LOGIN_FAILURES} refusals the login is not tried again (a changed user name
 * or password makes a new instance, tried at once), and requests meanwhile fail fast with the reason.
 * The count and the wait are kept in the panel's database, so a restart resumes them instead of
 * spending qBittorrent's remaining failures again. Requests that need no login (an address qBittorrent whitelists) still go through.
 */
export class QbittorrentClient {
  private readonly conn: HttpConnection;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private readonly now: () => number;
  private cookie: string | undefined;
  private loginInFlight: Promise<void> | undefined;
  private failures = 0;
  private blockedUntil = 0;
  private blockReason: string | undefined;
  private readonly persisted: PersistedBackoff | undefined;

  constructor(options: QbittorrentClientOptions) {
    this.username = options.username;
    this.password = options.password;
    this.now = options.now ?? Date.now;
    const records = options.backoffRecords === undefined ? installedLoginBackoff() : options.backoffRecords;
    if (records && options.username !== undefined && options.password !== undefined) {
      this.persisted = new PersistedBackoff(records, { baseUrl: options.baseUrl, username: options.username, password: options.password }, (error) =>
        logger.error({ err: error, app: "qbittorrent" }, "the refused-login count could not be read or saved; it is kept in memory"),
      );
      const saved = this.persisted.read();
      if (saved) {
        this.failures = saved.failures;
        this.blockedUntil = saved.blockedUntil;
        this.blockReason = saved.reason;
      }
    }
    this.conn = {
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      appName: "qBittorrent",
      source: "qbittorrent",
      secrets: [options.password],
    };
  }

  /** Whether a session cookie is held (for tests and the integrations' key status). */
  get hasSession(): boolean {
    return this.cookie !== undefined;
  }

  /** `GET /api/v2/app/version`: the application version (`v4.5.2`). */
  getVersion(options: CallOptions = {}): Promise<HttpResult<string>> {
    return this.request({ path: "/api/v2/app/version", schema: qbitVersionSchema, responseType: "text", ...options });
  }

  /** `GET /api/v2/app/webapiVersion`: the WebAPI version (`2.8.19`). */
  getWebApiVersion(options: CallOptions = {}): Promise<HttpResult<string>> {
    return this.request({ path: "/api/v2/app/webapiVersion", schema: qbitWebApiVersionSchema, responseType: "text", ...options });
  }

  /** `GET /api/v2/transfer/info`: connection status and speeds. */
  getTransferInfo(options: CallOptions = {}): Promise<HttpResult<QbitTransferInfo>> {
    return this.request({ path: "/api/v2/transfer/info", schema: qbitTransferInfoSchema, ...options });
  }

  /**
   * `POST /api/v2/auth/login`, at most one at a time, never during the back-off. Throws
   * `unauthorized` when refused, with when the next attempt is allowed.
   */
  async login(options: CallOptions = {}): Promise<void> {
    this.loginInFlight ??= this.doLogin(options).finally(() => {
      this.loginInFlight = undefined;
    });
    return this.loginInFlight;
  }

  private assertNotBlocked(): void {
    if (this.failures >= MAX_LOGIN_FAILURES) {
      throw new AppError(
        "unauthorized",
        `qBittorrent refused the user name or password ${this.failures} times; the panel stops trying them so qBittorrent does not ban its address (it bans after 5 failures): correct the login, and the panel tries the new one at once`,
        { source: "qbittorrent" },
      );
    }
    const wait = this.blockedUntil - this.now();
    if (wait > 0) {
      throw new AppError(
        "unauthorized",
        `${this.blockReason ?? "qBittorrent refused the login"}; the panel waits ${Math.ceil(wait / 1000)} s before trying again so qBittorrent does not ban its address`,
        { source: "qbittorrent" },
      );
    }
  }

  private block(reason: string, ms: number): never {
    this.blockedUntil = this.now() + ms;
    this.blockReason = reason;
    this.persisted?.write({ failures: this.failures, blockedUntil: this.blockedUntil, reason });
    this.assertNotBlocked();
    throw new AppError("unauthorized", reason, { source: "qbittorrent" });
  }

  private async doLogin(options: CallOptions): Promise<void> {
    this.assertNotBlocked();
    if (this.username === undefined || this.password === undefined) {
      throw new AppError("unauthorized", "qBittorrent asks for a login and no user name and password are configured", {
        source: "qbittorrent",
      });
    }
    let result: HttpResult<string>;
    try {
      result = await httpRequest(this.conn, {
        path: "/api/v2/auth/login",
        method: "POST",
        form: { username: this.username, password: this.password },
        schema: qbitLoginSchema,
        responseType: "text",
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof AppHttpError && error.status === 403) {
        this.failures += 1;
        this.block("qBittorrent has banned the panel's address after failed logins (HTTP 403)", BANNED_BACKOFF_MS);
      }
      throw error;
    }
    if (result.data.trim() !== "Ok.") {
      this.failures += 1;
      if (this.failures >= MAX_LOGIN_FAILURES) this.persisted?.write({ failures: this.failures, blockedUntil: this.blockedUntil, ...(this.blockReason ? { reason: this.blockReason } : {}) });
      this.assertNotBlocked();
      const ms = Math.min(FIRST_BACKOFF_MS * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
      this.block("qBittorrent refused the user name or password", ms);
    }
    const cookies = result.headers.getSetCookie().map((c) => c.split(";")[0]?.trim() ?? "").filter((c) => c.includes("="));
    if (cookies.length === 0) {
      throw new AppError("invalid_response", "qBittorrent accepted the login but sent no session cookie", { source: "qbittorrent" });
    }
    this.cookie = cookies.join("; ");
    if (this.failures > 0 || this.blockedUntil > 0) this.persisted?.clear();
    this.failures = 0;
    this.blockedUntil = 0;
    this.blockReason = undefined;
  }

  /** The one request path: sends the session cookie; on 403 logs in (once) and retries. */
  private async request<T>(spec: Omit<RequestSpec<T>, "headers">): Promise<HttpResult<T>> {
    const send = (): Promise<HttpResult<T>> =>
      httpRequest(this.conn, { ...spec, headers: this.cookie ? { cookie: this.cookie } : {} });
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof AppHttpError) || (error.status !== 403 && error.status !== 401)) throw error;
      this.cookie = undefined;
      await this.login({ signal: spec.signal });
      return send();
    }
  }
}
