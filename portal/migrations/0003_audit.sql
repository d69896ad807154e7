-- What operators decided on membership applications: who, when, what and why. Their actions
-- on imagery requests are in the requests' own status history (dinamis_orders.status), which
-- the back-office's audit page reads beside this table.
CREATE TABLE dinamis_portal.audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user_id bigint REFERENCES dinamis_access."user" (id),
    actor text NOT NULL,  -- the operator's e-mail address, as shown
    action text NOT NULL,  -- approve, refuse, provider-approval
    application_id bigint NOT NULL REFERENCES dinamis_portal.application (id),
    entity_id bigint REFERENCES dinamis_access.entity (id),
    reason text
);
CREATE INDEX audit_at_idx ON dinamis_portal.audit (at);
