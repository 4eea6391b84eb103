-- Dashboards people compose (#21): a tenant's pages of widgets, shared within the tenant. The
-- layout is JSON validated by the API (services/api/src/dashboards/layout.ts); `version` grows on
-- every save, so two managers editing the same page cannot overwrite each other unseen (409).
CREATE TABLE dashboards (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  description text NOT NULL DEFAULT '',
  layout      jsonb NOT NULL DEFAULT '{"widgets":[]}'::jsonb,
  version     integer NOT NULL DEFAULT 1,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- one name per tenant; also the page list's keyset order (by name)
CREATE UNIQUE INDEX dashboards_tenant_name ON dashboards (tenant_id, lower(name));
