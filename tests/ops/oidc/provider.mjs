// A certified OpenID provider (the oidc-provider package) for the single sign-on tests, on
// loopback only. tests/browser/test_oidc_sign_in.py starts it with node and stops it by its pid.
//   PORT            the port to listen on
//   OIDC_CLIENT     JSON: {client_id, client_secret, redirect_uri}
//   OIDC_ACCOUNTS   JSON: {"<login>": {"email": ..., "name": ...}}
// Its development sign-in pages accept any login with any password; a login named in
// OIDC_ACCOUNTS signs in as that person.
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const client = JSON.parse(process.env.OIDC_CLIENT);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: [client.redirect_uri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  // The authorisation code is only exchanged with the verifier of its challenge (S256).
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(ctx, sub) {
    const person = accounts[sub];
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: person.email, email_verified: true, name: person.name };
      },
    };
  },
});
provider.proxy = false;

// Every exchange the client makes, for the test to check (PKCE, the token request).
provider.on("grant.success", (ctx) => console.log(`grant ${ctx.oidc.params?.code_verifier ? "with" : "without"} verifier`));
provider.on("authorization.accepted", (ctx) => console.log(`authorization ${ctx.oidc.params.code_challenge_method}`));

provider.listen(port, "127.0.0.1", () => console.log(`ready ${issuer}`));
