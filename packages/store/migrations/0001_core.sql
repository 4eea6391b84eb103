-- Tenants, people, the asset tree and device identity. Every tenant-owned row carries
-- tenant_id so each query can be scoped by it (and indexes lead with it).

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL UNIQUE,
  -- the aggregator seed's customer id, kept so its firmware's customer_id maps to a tenant
  external_id text UNIQUE,
  timezone    text NOT NULL DEFAULT 'UTC',
  settings    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL tenant: a platform admin, who sees every tenant
  tenant_id            uuid REFERENCES tenants (id) ON DELETE CASCADE,
  username             text NOT NULL UNIQUE,
  email                text,
  password_hash        text NOT NULL,
  role                 text NOT NULL CHECK (role IN ('admin', 'manager', 'operator', 'viewer')),
  first_name           text NOT NULL DEFAULT '',
  last_name            text NOT NULL DEFAULT '',
  phone                text,
  -- the car-plant seed: generated operators change the password and complete their profile first
  must_change_password boolean NOT NULL DEFAULT false,
  profile_completed    boolean NOT NULL DEFAULT true,
  created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant ON users (tenant_id);

-- Refresh tokens, one family per login; a reused (already rotated) token revokes its family.
CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY,
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  rotated_at  timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE sites (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name           text NOT NULL,
  address        text NOT NULL DEFAULT '',
  contact_person text NOT NULL DEFAULT '',
  timezone       text NOT NULL DEFAULT 'UTC',
  is_active      boolean NOT NULL DEFAULT true,
  attributes     jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

-- A typed tree: floor > pantry > dispenser, outlet > machine, line > machine, meter, ...
-- attributes hold type-specific fields (dispenser type and low-level threshold, max_consumption, price).
CREATE TABLE assets (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id    uuid REFERENCES sites (id) ON DELETE SET NULL,
  parent_id  uuid REFERENCES assets (id) ON DELETE CASCADE,
  type       text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{0,31}$'),
  name       text NOT NULL,
  is_active  boolean NOT NULL DEFAULT true,
  attributes jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_tenant_parent ON assets (tenant_id, parent_id);
CREATE INDEX assets_tenant_type ON assets (tenant_id, type);

-- Per device type: how often it reports and which metrics keep raw rows only on change.
CREATE TABLE device_types (
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name                text NOT NULL,
  expected_interval_s integer NOT NULL DEFAULT 60 CHECK (expected_interval_s > 0),
  -- {"temperature": 0.5}: keep a raw reading only when it moved more than 0.5 from the last kept one
  deadband            jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE devices (
  id                  text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'),
  -- NULL until an admin assigns a pending device
  tenant_id           uuid REFERENCES tenants (id) ON DELETE CASCADE,
  asset_id            uuid REFERENCES assets (id) ON DELETE SET NULL,
  name                text NOT NULL DEFAULT '',
  mac                 text UNIQUE,
  firmware            text,
  device_type         text NOT NULL DEFAULT 'generic',
  state               text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'revoked')),
  token_hash          text,
  token_issued_at     timestamptz,
  claim_code_hash     text,
  expected_interval_s integer NOT NULL DEFAULT 60 CHECK (expected_interval_s > 0),
  notes               text NOT NULL DEFAULT '',
  attributes          jsonb NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_tenant ON devices (tenant_id, state);
CREATE INDEX devices_asset ON devices (asset_id);

-- Which device was bound to which asset when (the ozone seed's MachineDevice history).
CREATE TABLE device_bindings (
  id         bigserial PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id  text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  asset_id   uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  bound_at   timestamptz NOT NULL DEFAULT now(),
  unbound_at timestamptz,
  bound_by   uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX device_bindings_active ON device_bindings (device_id) WHERE unbound_at IS NULL;
CREATE INDEX device_bindings_asset ON device_bindings (tenant_id, asset_id);

-- Users assigned to sites or assets (the energy seed's user-device assignment); viewers see only these.
CREATE TABLE user_assignments (
  id         bigserial PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  site_id    uuid REFERENCES sites (id) ON DELETE CASCADE,
  asset_id   uuid REFERENCES assets (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((site_id IS NULL) <> (asset_id IS NULL))
);
CREATE UNIQUE INDEX user_assignments_unique ON user_assignments (user_id, coalesce(site_id, asset_id));

-- Every change made by a person.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid,
  actor_id    uuid,
  action      text NOT NULL,
  entity      text NOT NULL,
  entity_id   text,
  details     jsonb NOT NULL DEFAULT '{}',
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC);
