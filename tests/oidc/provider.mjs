// A real OpenID provider for tia's single sign-on test: the OpenID Certified `oidc-provider`
// package (https://github.com/panva/node-oidc-provider) on 127.0.0.1, with its development
// sign-in pages (any password is accepted for the accounts below). Not a mock: discovery,
// JWKS, authorization code with PKCE, client authentication, signed ID tokens and userinfo
// are the library's own.
//
//   PORT=9400 REDIRECT_URI=http://127.0.0.1:8080/login/oidc/callback node provider.mjs
//
// The accounts' `groups` claim is what tia maps to roles. With the library's defaults, the ID
// token of the code flow carries only `sub`; the groups come from the userinfo endpoint.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 9400);
const redirectUri = process.env.REDIRECT_URI;
if (!redirectUri) {
  console.error('REDIRECT_URI is required');
  process.exit(2);
}

const groups = {
  'dpo-anna': ['staff', 'tia-approvers'],
  'reader-bo': ['staff', 'tia-readers'],
  'guest-cy': ['staff'],
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'tia',
      client_secret: process.env.CLIENT_SECRET || 'tia-e2e-client-secret-0123456789',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'groups'],
  pkce: { required: () => true },
  cookies: { keys: ['tia-e2e-cookie-key-not-secret'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, groups: groups[id] || [] };
      },
    };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
