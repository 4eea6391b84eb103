-- Rules, their persisted evaluation state, alerts, maintenance tasks and the notification outbox.

CREATE TABLE rules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name            text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('threshold', 'offline', 'maintenance')),
  -- exactly one target: a device, an asset type (within the tenant) or an asset subtree
  device_id       text REFERENCES devices (id) ON DELETE CASCADE,
  asset_type      text,
  asset_id        uuid REFERENCES assets (id) ON DELETE CASCADE,
  metric          text,
  -- threshold: '>', '>=', '<', '<=', 'outside'; band for 'outside' uses threshold (low) and threshold_high
  operator        text CHECK (operator IN ('>', '>=', '<', '<=', 'outside')),
  threshold       double precision,
  threshold_high  double precision,
  -- hysteresis: the value must come back past clear_threshold (and clear_high) to clear
  clear_threshold double precision,
  clear_high      double precision,
  min_duration_s  integer NOT NULL DEFAULT 0 CHECK (min_duration_s >= 0),
  -- offline: no data for offline_factor x the device's expected interval
  offline_factor  double precision NOT NULL DEFAULT 3,
  -- maintenance: counter/running-hours metric passing service_interval since the last finished task
  service_interval double precision,
  task_due_days   integer NOT NULL DEFAULT 7,
  severity        text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
  preset          text,
  enabled         boolean NOT NULL DEFAULT true,
  reminder_s      integer NOT NULL DEFAULT 3600 CHECK (reminder_s >= 0),
  created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (num_nonnulls(device_id, asset_type, asset_id) = 1)
);
CREATE INDEX rules_tenant ON rules (tenant_id, enabled);

-- Evaluation state per rule and device, in the database so a restart or rebalance neither loses a
-- pending min-duration window nor raises an episode twice.
CREATE TABLE rule_state (
  rule_id          uuid NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
  device_id        text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  tenant_id        uuid NOT NULL,
  -- 'normal' | 'pending' (breaching, min duration not yet reached) | 'active' (alert open)
  status           text NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'pending', 'active')),
  breach_since     timestamptz,
  clear_since      timestamptz,
  last_value       double precision,
  last_ts          timestamptz,
  alert_id         uuid,
  -- maintenance: the counter value when the last task was finished
  baseline         double precision,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, device_id)
);

CREATE TABLE alerts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  rule_id          uuid REFERENCES rules (id) ON DELETE SET NULL,
  device_id        text REFERENCES devices (id) ON DELETE SET NULL,
  asset_id         uuid REFERENCES assets (id) ON DELETE SET NULL,
  kind             text NOT NULL CHECK (kind IN ('threshold', 'offline', 'maintenance', 'manual')),
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
  metric           text,
  value            double precision,
  threshold        double precision,
  message          text NOT NULL,
  historical       boolean NOT NULL DEFAULT false,
  opened_at        timestamptz NOT NULL,
  acknowledged_at  timestamptz,
  acknowledged_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  resolved_at      timestamptz,
  resolved_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  -- 'auto' when cleared past hysteresis, 'manual' when a person resolved it
  resolution       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_tenant_state ON alerts (tenant_id, state, opened_at DESC);
-- one open episode per rule and device
CREATE UNIQUE INDEX alerts_one_open_episode ON alerts (rule_id, device_id) WHERE state <> 'resolved' AND rule_id IS NOT NULL;

CREATE TABLE alert_events (
  id        bigserial PRIMARY KEY,
  alert_id  uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  change    text NOT NULL,
  actor_id  uuid REFERENCES users (id) ON DELETE SET NULL,
  note      text,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at);

CREATE TABLE tasks (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  rule_id      uuid REFERENCES rules (id) ON DELETE SET NULL,
  asset_id     uuid REFERENCES assets (id) ON DELETE SET NULL,
  device_id    text REFERENCES devices (id) ON DELETE SET NULL,
  title        text NOT NULL,
  description  text NOT NULL DEFAULT '',
  status       text NOT NULL DEFAULT 'not_started' CHECK (status IN ('not_started', 'in_progress', 'finished')),
  due_at       timestamptz,
  -- the counter value that triggered a maintenance task; finishing it moves the rule's baseline here
  trigger_value double precision,
  started_at   timestamptz,
  started_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  finished_at  timestamptz,
  finished_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_tenant_status ON tasks (tenant_id, status, due_at);
-- one unfinished maintenance task per rule and device
CREATE UNIQUE INDEX tasks_one_open_per_rule ON tasks (rule_id, device_id) WHERE status <> 'finished' AND rule_id IS NOT NULL;

CREATE TABLE task_assignees (
  task_id  uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (task_id, user_id)
);

CREATE TABLE task_events (
  id        bigserial PRIMARY KEY,
  task_id   uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  from_status text,
  to_status text NOT NULL,
  actor_id  uuid REFERENCES users (id) ON DELETE SET NULL,
  at        timestamptz NOT NULL DEFAULT now()
);

-- Who is emailed: per asset (inherited by its subtree) or per rule.
CREATE TABLE notification_recipients (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  asset_id   uuid REFERENCES assets (id) ON DELETE CASCADE,
  rule_id    uuid REFERENCES rules (id) ON DELETE CASCADE,
  email      text NOT NULL,
  name       text NOT NULL DEFAULT '',
  cooldown_s integer NOT NULL DEFAULT 900 CHECK (cooldown_s >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((asset_id IS NULL) <> (rule_id IS NULL))
);
CREATE INDEX notification_recipients_tenant ON notification_recipients (tenant_id);

-- Each (alert change, recipient) email is sent once, even across crashes: the key is unique.
CREATE TABLE notification_outbox (
  id            bigserial PRIMARY KEY,
  tenant_id     uuid NOT NULL,
  dedupe_key    text NOT NULL UNIQUE,
  alert_id      uuid REFERENCES alerts (id) ON DELETE CASCADE,
  task_id       uuid REFERENCES tasks (id) ON DELETE CASCADE,
  recipient     text NOT NULL,
  subject       text NOT NULL,
  body          text NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'suppressed')),
  attempts      integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error    text,
  message_id    text,
  sent_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at);
