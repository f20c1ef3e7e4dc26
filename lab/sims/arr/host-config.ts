/**
 * `config/host` of the *arr apps (`HostConfigController`): the host settings, read from
 * config.xml (`ConfigFileProvider`) and the database's `Config` table (`ConfigService`: proxy,
 * certificate validation, backup folder, interval and retention), with the controller's
 * validation rules. A `PUT` writes both files, as the apps do; settings that only take effect at
 * start (port, URL base) are read again at the next start.
 */
import type { JsonObject } from "../engine/spec";
import type { SimAppHandle } from "../engine/types";
import type { ArrFlavor, ArrState } from "./arr-sim";
import { notEmpty, ruleFailure, type ValidationFailureJson } from "./failures";
import { defaultBranch, hashedUser } from "./files";

type Kind = "string" | "int" | "bool" | "enum";

/** Resource property, config.xml key, kind, default. */
type XmlField = [string, string, Kind, string | number | boolean];
/** Resource property, `Config` table key, kind, default. */
type DbField = [string, string, Kind, string | number | boolean];

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function camel(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** A stored text value as the resource types it (`True` -> true, `Forms` -> `forms`). */
function fromText(text: string, kind: Kind): string | number | boolean {
  if (kind === "bool") return text.toLowerCase() === "true";
  if (kind === "int") return Number.parseInt(text, 10) || 0;
  if (kind === "enum") return camel(text);
  return text;
}

/** A resource value as the apps store it (`true` -> `True`, `forms` -> `Forms`). */
function toText(v: unknown, kind: Kind): string {
  if (kind === "bool") return v === true ? "True" : "False";
  if (kind === "enum") return pascal(String(v));
  return String(v);
}

/** CLR default of a property the request leaves out (what ASP.NET binds). */
function clrDefault(kind: Kind): string | number | boolean | undefined {
  return kind === "bool" ? false : kind === "int" ? 0 : undefined;
}

/**
 * Host settings of an app that forked before Sonarr v4's (Readarr 0.3: its `HostConfigController`
 * and `ConfigFileProvider`): the properties its resource lacks, its default branch and fresh
 * install's authentication, its instance-name rule (`Contains<App>`, only when a name is given),
 * and Basic authentication still accepted.
 */
export interface HostConfigDialect {
  /** Resource properties (and their config.xml keys) the app does not have. */
  without: readonly string[];
  /** `ConfigFileProvider.Branch`'s default. */
  branch: string;
  /** `AuthenticationMethod` of a fresh install's config.xml (`None` before the apps required one). */
  authenticationMethod: "None" | "Forms";
}

export interface HostConfigHandlers {
  read(state: ArrState, app: SimAppHandle): JsonObject;
  validate(input: JsonObject, state: ArrState): ValidationFailureJson[];
  save(input: JsonObject, state: ArrState): void;
}

/** `config/host` for one *arr flavour. */
export function hostConfigHandlers(f: ArrFlavor): HostConfigHandlers {
  const appName = f.names.appName;
  const dialect = f.hostConfig;
  const has = (prop: string): boolean => !(dialect?.without.includes(prop) ?? false);
  const xml: XmlField[] = ([
    ["bindAddress", "BindAddress", "string", "*"],
    ["port", "Port", "int", f.port],
    ["sslPort", "SslPort", "int", f.sslPort],
    ["enableSsl", "EnableSsl", "bool", false],
    ["launchBrowser", "LaunchBrowser", "bool", true],
    ["authenticationMethod", "AuthenticationMethod", "enum", "none"],
    ["authenticationRequired", "AuthenticationRequired", "enum", "enabled"],
    ["analyticsEnabled", "AnalyticsEnabled", "bool", true],
    ["logLevel", "LogLevel", "string", "info"],
    ["logSizeLimit", "LogSizeLimit", "int", 1],
    ["consoleLogLevel", "ConsoleLogLevel", "string", ""],
    ["branch", "Branch", "string", defaultBranch(f)],
    ["apiKey", "ApiKey", "string", ""],
    ["sslCertPath", "SslCertPath", "string", ""],
    ["sslCertPassword", "SslCertPassword", "string", ""],
    ["urlBase", "UrlBase", "string", ""],
    ["instanceName", "InstanceName", "string", appName],
    ["updateAutomatically", "UpdateAutomatically", "bool", false],
    ["updateMechanism", "UpdateMechanism", "enum", "docker"],
    ["updateScriptPath", "UpdateScriptPath", "string", ""],
    ["trustCgnatIpAddresses", "TrustCgnatIpAddresses", "bool", false],
  ] as XmlField[]).filter(([prop]) => has(prop));
  const db: DbField[] = [
    ["proxyEnabled", "proxyenabled", "bool", false],
    ["proxyType", "proxytype", "enum", "http"],
    ["proxyHostname", "proxyhostname", "string", ""],
    ["proxyPort", "proxyport", "int", 8080],
    ["proxyUsername", "proxyusername", "string", ""],
    ["proxyPassword", "proxypassword", "string", ""],
    ["proxyBypassFilter", "proxybypassfilter", "string", ""],
    ["proxyBypassLocalAddresses", "proxybypasslocaladdresses", "bool", true],
    ["certificateValidation", "certificatevalidation", "enum", "enabled"],
    ["backupFolder", "backupfolder", "string", "Backups"],
    ["backupInterval", "backupinterval", "int", 7],
    ["backupRetention", "backupretention", "int", 28],
    ["applicationUrl", "applicationurl", "string", ""],
    ...(f.kind === "prowlarr" ? ([["historyCleanupDays", "historycleanupdays", "int", 365]] as DbField[]) : []),
  ];

  const read = (state: ArrState, app: SimAppHandle): JsonObject => {
    const out: JsonObject = { id: 1 };
    for (const [prop, key, kind, def] of xml) {
      const text = state.configXml.get(key);
      out[prop] = text === undefined ? def : fromText(text, kind);
    }
    // The lab's key and URL base come from the cluster (like `SONARR__AUTH__APIKEY`), over config.xml.
    if (app.apiKey !== undefined) out.apiKey = app.apiKey;
    out.urlBase = app.urlBase;
    for (const [prop, key, kind, def] of db) {
      const text = state.configTable[key];
      out[prop] = text === undefined ? def : fromText(text, kind);
    }
    const user = state.users[0];
    out.username = user?.username ?? "";
    out.password = user?.password ?? "";
    if (has("passwordConfirmation")) out.passwordConfirmation = "";
    return out;
  };

  /** The controller's rules, in the order it declares them (FluentValidation reports them so). */
  const validate = (input: JsonObject, state: ArrState): ValidationFailureJson[] => {
    const failures: ValidationFailureJson[] = [];
    const between = (prop: string, lo: number, hi: number, when = true): void => {
      const v = Number(input[prop] ?? clrDefault("int"));
      const label = pascal(prop).replace(/([a-z])([A-Z])/g, "$1 $2");
      if (when && (v < lo || v > hi)) failures.push(ruleFailure(pascal(prop), `'${label}' must be between ${lo} and ${hi}. You entered ${v}.`, v, "InclusiveBetweenValidator"));
    };
    const bind = String(input.bindAddress ?? "");
    if (bind !== "*" && bind !== "localhost" && !/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+$/i.test(bind)) {
      failures.push(ruleFailure("BindAddress", "Enter a valid IP address or '*'", bind, "PredicateValidator"));
    }
    between("port", 1, 65535);
    if (typeof input.urlBase === "string" && /^\/?https?:\/\/[-_a-z0-9.]+/i.test(input.urlBase)) {
      failures.push(ruleFailure("UrlBase", `Must be a valid URL path (ie: '/${f.kind}')`, input.urlBase, "RegularExpressionValidator"));
    }
    const instance = typeof input.instanceName === "string" ? input.instanceName : "";
    if (dialect !== undefined) {
      // ContainsReadarr(), when the name is not blank.
      if (instance.trim() !== "" && !new RegExp(appName, "i").test(instance)) {
        failures.push(ruleFailure("InstanceName", `Must contain ${appName.toLowerCase()}`, instance, "RegularExpressionValidator"));
      }
    } else {
      const empty = notEmpty("InstanceName", instance);
      if (empty !== undefined) failures.push(empty);
      else if (!new RegExp(`^${appName}|${appName}$`).test(instance)) {
        failures.push(ruleFailure("InstanceName", `Must start or end with ${appName}`, instance, "RegularExpressionValidator"));
      }
    }
    const method = String(input.authenticationMethod ?? "none");
    if (method === "forms" || (dialect !== undefined && method === "basic")) {
      for (const p of ["username", "password"]) {
        const e = notEmpty(pascal(p), input[p]);
        if (e !== undefined) failures.push(e);
      }
    }
    if (method === "basic" && dialect === undefined) failures.push(ruleFailure("AuthenticationMethod", "'Basic' is no longer supported, switch to 'Forms' instead.", method, "NotEqualValidator"));
    const user = state.users[0];
    if (has("passwordConfirmation") && !(user !== undefined && user.password === input.password) && (input.password ?? "") !== (input.passwordConfirmation ?? "")) {
      failures.push(ruleFailure("PasswordConfirmation", "Must match Password", input.passwordConfirmation ?? null, "PredicateValidator"));
    }
    between("sslPort", 1, 65535, input.enableSsl === true);
    if (has("logSizeLimit")) between("logSizeLimit", 1, 10);
    const branch = notEmpty("Branch", input.branch);
    if (branch !== undefined) failures.push({ ...branch, errorMessage: `Branch name is required, '${f.kind === "sonarr" ? "main" : "master"}' is the default` });
    between("backupInterval", 1, 7);
    between("backupRetention", 1, 90);
    return failures;
  };

  const save = (input: JsonObject, state: ArrState): void => {
    for (const [prop, key, kind] of xml) {
      const v = input[prop] ?? clrDefault(kind);
      if (v === undefined || v === null) continue;
      const text = toText(v, kind);
      if (state.configXml.get(key) !== text) state.configXml.set(key, text);
    }
    for (const [prop, key, kind, def] of db) {
      const v = input[prop] ?? clrDefault(kind);
      if (v === undefined || v === null) continue;
      const text = toText(v, kind);
      const current = state.configTable[key] ?? toText(def, kind);
      if (current !== text) state.configTable[key] = text;
    }
    const username = typeof input.username === "string" ? input.username : "";
    const password = typeof input.password === "string" ? input.password : "";
    if (username.trim() !== "" && password.trim() !== "") {
      const user = state.users[0];
      if (user === undefined) state.users = [hashedUser(1, username, password)];
      else if (user.password !== password) state.users[0] = { ...hashedUser(user.id, username, password), identifier: user.identifier };
      else state.users[0] = { ...user, username };
    }
  };

  return { read, validate, save };
}
