-- A version remembers the notice date and objection period of the change it records (so that
-- its change report gives the same last day to object later), and the idempotency key of the
-- request that saved it (a retried save returns that version instead of adding another).
ALTER TABLE versions ADD COLUMN notice_date TEXT;
ALTER TABLE versions ADD COLUMN objection_days INTEGER;
ALTER TABLE versions ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX versions_idempotency ON versions (system_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
