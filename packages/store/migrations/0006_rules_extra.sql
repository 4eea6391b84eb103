-- Transactional outbox of the rules worker: the alerts.v1 / tasks.v1 messages of an alert or task
-- change are written in the SAME transaction as the change (and rule_state), then published after
-- COMMIT and deleted. A crash between COMMIT and publish leaves the row here; the worker's relay
-- publishes it later (at-least-once: consumers dedupe, e.g. the notifier by its outbox dedupe_key).
-- Redelivered telemetry cannot be relied on for that: it is a no-op by then (rule_state.last_ts),
-- and offline alerts come from a timer, not from a message.
CREATE TABLE rules_outbox (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  key        text NOT NULL,
  payload    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
