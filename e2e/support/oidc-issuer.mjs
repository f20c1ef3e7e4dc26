// A real OpenID Provider (the certified `oidc-provider` library) on loopback for the sign-in tests.
// Its development login form accepts any password; the account name decides the groups:
//   alice -> nas-admins, bob -> family, anyone else -> no group.
// A test changes an account's groups with POST /__control/groups {"account":"carol","groups":[...]}:
// the userinfo endpoint answers the new groups from then on (what the panel re-checks).
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT ?? 3109);
const issuer = `http://127.0.0.1:${port}`;
const GROUPS = { alice: ["nas-admins"], bob: ["family"] };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "k8s-nas-panel",
      client_secret: process.env.OIDC_CLIENT_SECRET ?? "e2e-oidc-client-secret",
      redirect_uris: (process.env.OIDC_REDIRECT_URIS ?? "").split(",").filter(Boolean),
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  scopes: ["openid", "profile", "email", "groups"],
  claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email"], groups: ["groups"] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: id, preferred_username: id, email: `${id}@example.test`, groups: GROUPS[id] ?? ["other"] };
      },
    };
  },
  cookies: { keys: ["e2e-oidc-cookie-key"] },
});
provider.proxy = false;
provider.use(async (ctx, next) => {
  if (ctx.path !== "/__control/groups" || ctx.method !== "POST") return next();
  let body = "";
  for await (const chunk of ctx.req) body += chunk;
  const { account, groups } = JSON.parse(body || "{}");
  if (typeof account !== "string" || !Array.isArray(groups)) {
    ctx.status = 400;
    ctx.body = { error: "account and groups are required" };
    return;
  }
  GROUPS[account] = groups.map(String);
  ctx.body = { account, groups: GROUPS[account] };
});
for (const event of ["grant.error", "server_error", "authorization.error", "userinfo.error"]) {
  provider.on(event, (_ctx, error) => console.error(`oidc issuer ${event}: ${error.message} ${error.error_description ?? ""} ${error.error_detail ?? ""}`));
}
provider.listen(port, "127.0.0.1", () => console.log(`oidc issuer listening on ${issuer}`));
