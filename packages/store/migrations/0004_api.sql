-- REST API (services/api): invitations, access-token revocation, and the assignment-based
-- visibility of viewers as one SQL function so every query (and the realtime gateway) agrees.

-- Self-registration by invitation: an admin or manager invites, the invitee picks username and password.
CREATE TABLE invites (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('admin', 'manager', 'operator', 'viewer')),
  email       text,
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  used_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invites_tenant ON invites (tenant_id, created_at DESC);

-- Access tokens are short-lived JWTs; logout puts the token's jti here until it would have expired
-- anyway, so a stolen access token dies with the session instead of living out its TTL.
CREATE TABLE revoked_access_tokens (
  jti        text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);

ALTER TABLE users ADD COLUMN last_login_at timestamptz;

CREATE INDEX alerts_tenant_device ON alerts (tenant_id, device_id, opened_at DESC);
CREATE INDEX tasks_tenant_created ON tasks (tenant_id, created_at DESC);
CREATE INDEX user_assignments_asset ON user_assignments (asset_id);
CREATE INDEX user_assignments_site ON user_assignments (site_id);

-- What a user assigned to sites/assets sees: the assigned assets, every asset of an assigned site,
-- and all their descendants. Viewers are limited to this set (the energy seed's user-device mapping).
CREATE FUNCTION user_visible_assets(uid uuid) RETURNS TABLE (asset_id uuid)
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE roots AS (
    SELECT ua.asset_id AS id FROM user_assignments ua WHERE ua.user_id = uid AND ua.asset_id IS NOT NULL
    UNION
    SELECT a.id FROM assets a JOIN user_assignments ua ON ua.site_id = a.site_id WHERE ua.user_id = uid
  ), tree AS (
    SELECT id FROM roots
    UNION
    SELECT c.id FROM assets c JOIN tree t ON c.parent_id = t.id
  )
  SELECT id FROM tree
$$;
