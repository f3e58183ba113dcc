-- FeePay schema, part 9: the console's people. Accountants, auditors and administrators sign
-- in as themselves (a password and a TOTP code), not with an API key.

-- A member of staff. `agencies` empty means every agency; otherwise an accountant or auditor
-- sees only those agencies' money. The password is a bcrypt hash; the TOTP secret is sealed
-- under the master key (AES-256-GCM, bound to 'staff:<id>:totp'). `totp_last_step` is the
-- last 30-second step whose code was accepted: a code is good once. An enrolment link is
-- kept only as its SHA-256 and works once, until `enrolment_expires_at`.
CREATE TABLE staff (
  id                   text PRIMARY KEY,
  email                text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role                 text NOT NULL CHECK (role IN ('accountant', 'auditor', 'admin')),
  agencies             text[] NOT NULL DEFAULT '{}',
  status               text NOT NULL CHECK (status IN ('enrolling', 'active', 'disabled')),
  password_hash        text,
  totp_secret_sealed   bytea NOT NULL,
  totp_last_step       bigint NOT NULL DEFAULT 0,
  failed_sign_ins      integer NOT NULL DEFAULT 0,
  locked_until         timestamptz,
  enrolment_hash       bytea UNIQUE CHECK (length(enrolment_hash) = 32),
  enrolment_expires_at timestamptz,
  created_at           timestamptz NOT NULL,
  CHECK ((status = 'active') = (password_hash IS NOT NULL)),
  CHECK ((enrolment_hash IS NULL) = (enrolment_expires_at IS NULL))
);
CREATE UNIQUE INDEX staff_email ON staff (email);

-- Console sessions, shared by every instance: the key is the session cookie's value (never
-- logged), the value hummingbird-auth's session object. A session ends when it expires (15
-- minutes idle), at sign-out, and when its person is disabled or reset.
CREATE TABLE staff_sessions (
  key        text PRIMARY KEY,
  staff_id   text REFERENCES staff (id),
  value      jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);
