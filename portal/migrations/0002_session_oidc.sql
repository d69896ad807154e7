-- An OpenID Connect sign-in under way: its state, nonce and PKCE verifier, until the callback.
ALTER TABLE dinamis_portal.session ADD COLUMN oidc jsonb;
