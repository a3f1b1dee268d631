-- Re-assessments (SQLite): a saved version judged again under newer knowledge or on a later
-- date (`tia portfolio --record`). Each is an event of kind `reassess` in the system's history
-- with its details here; like versions and events, never changed or deleted. The version itself
-- keeps the verdict it got when it was saved.
CREATE TABLE reassessments (
    event_id INTEGER PRIMARY KEY REFERENCES events (id),
    run_id TEXT NOT NULL,
    knowledge_version TEXT NOT NULL,
    knowledge_as_of TEXT NOT NULL,
    as_of TEXT NOT NULL,
    policy TEXT NOT NULL,
    verdict_before TEXT NOT NULL,
    verdict_after TEXT,
    prior_consultation INTEGER,
    findings_added TEXT NOT NULL,
    findings_removed TEXT NOT NULL,
    why TEXT NOT NULL
);

CREATE INDEX reassessments_by_run ON reassessments (run_id);

CREATE TRIGGER reassessments_immutable_update BEFORE UPDATE ON reassessments
BEGIN SELECT RAISE(ABORT, 'the register is append-only: re-assessments are never changed'); END;
CREATE TRIGGER reassessments_immutable_delete BEFORE DELETE ON reassessments
BEGIN SELECT RAISE(ABORT, 'the register is append-only: re-assessments are never deleted'); END;
