-- The assessment register (SQLite). Systems and their versions are immutable: a new assessment
-- is a new row, and triggers refuse every UPDATE and DELETE.
CREATE TABLE systems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id INTEGER NOT NULL REFERENCES systems (id),
    number INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    model_text TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    knowledge_version TEXT NOT NULL,
    knowledge_as_of TEXT NOT NULL,
    as_of TEXT NOT NULL,
    policy TEXT NOT NULL,
    language TEXT NOT NULL,
    verdict TEXT NOT NULL,
    prior_consultation INTEGER NOT NULL,
    result_json TEXT NOT NULL,
    note TEXT,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (system_id, number)
);

CREATE INDEX versions_by_system ON versions (system_id, number);

CREATE TRIGGER systems_immutable_update BEFORE UPDATE ON systems
BEGIN SELECT RAISE(ABORT, 'the register is append-only: systems are never changed'); END;
CREATE TRIGGER systems_immutable_delete BEFORE DELETE ON systems
BEGIN SELECT RAISE(ABORT, 'the register is append-only: systems are never deleted'); END;
CREATE TRIGGER versions_immutable_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'the register is append-only: versions are never changed'); END;
CREATE TRIGGER versions_immutable_delete BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'the register is append-only: versions are never deleted'); END;
