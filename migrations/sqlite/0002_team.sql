-- Team use (SQLite): users with roles, sessions that survive restarts and are shared by every
-- instance on the database, one-time setup links, and the register's events (sign-off,
-- withdrawal, renaming), which like versions are never changed or deleted.
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- A session is stored by the SHA-256 of its id: the database never holds a usable cookie.
CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE setup_tokens (
    id_sha256 TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id INTEGER NOT NULL REFERENCES systems (id),
    version_number INTEGER,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT,
    name TEXT
);

CREATE INDEX events_by_system ON events (system_id, id);

CREATE TRIGGER events_immutable_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the register is append-only: events are never changed'); END;
CREATE TRIGGER events_immutable_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the register is append-only: events are never deleted'); END;
