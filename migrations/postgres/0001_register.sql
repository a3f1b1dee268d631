-- The assessment register (PostgreSQL). Systems and their versions are immutable: a new
-- assessment is a new row, and triggers refuse every UPDATE and DELETE. Integers are BIGINT and
-- times RFC 3339 text so that both backends read the same through sqlx's Any driver.
CREATE TABLE systems (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE versions (
    id BIGSERIAL PRIMARY KEY,
    system_id BIGINT NOT NULL REFERENCES systems (id),
    number BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    model_text TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    knowledge_version TEXT NOT NULL,
    knowledge_as_of TEXT NOT NULL,
    as_of TEXT NOT NULL,
    policy TEXT NOT NULL,
    language TEXT NOT NULL,
    verdict TEXT NOT NULL,
    prior_consultation BIGINT NOT NULL,
    result_json TEXT NOT NULL,
    note TEXT,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (system_id, number)
);

CREATE INDEX versions_by_system ON versions (system_id, number);

CREATE FUNCTION tia_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the register is append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END
$$;

CREATE TRIGGER systems_append_only BEFORE UPDATE OR DELETE ON systems
    FOR EACH ROW EXECUTE FUNCTION tia_append_only();
CREATE TRIGGER versions_append_only BEFORE UPDATE OR DELETE ON versions
    FOR EACH ROW EXECUTE FUNCTION tia_append_only();
