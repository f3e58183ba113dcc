-- A signing key can be revoked (`feepay signing-key revoke KID`), when its private half may
-- have leaked: it signs nothing more, the JWKS lists it under "revoked_keys" instead of
-- "keys", and receipts signed with it report `revoked_key`.
ALTER TABLE signing_keys ADD COLUMN revoked_at timestamptz;
ALTER TABLE signing_keys ADD COLUMN revoked_reason text;
