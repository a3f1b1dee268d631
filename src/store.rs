//! The assessment register: systems and their immutable, numbered versions, in SQLite (a file,
//! WAL mode; the default) or PostgreSQL (a `postgres://` URL). One set of migrations per backend
//! is embedded and run at start-up; the queries are shared through sqlx's Any driver.
//!
//! Every saved version keeps the model text, its SHA-256, the knowledge version and date used,
//! the policy, the full JSON result, who saved it and when. Nothing is updated or deleted: the
//! schema's triggers refuse it. A system with its first version is created in one transaction.

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use a SQLite file (sqlite://tia.db or a path) or postgres://user:password@host/db")]
    Url(String),
}

/// A system (a service the organisation assesses), with its latest version in brief.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct System {
    pub id: i64,
    /// The current name: the latest rename event's, else the name it was created with.
    pub name: String,
    /// Whether the system has been withdrawn from the register (it stays, with its history).
    pub withdrawn: bool,
    pub created_at: String,
    pub created_by: String,
    pub versions: i64,
    pub latest: Option<VersionSummary>,
}

/// A version without its model text and result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VersionSummary {
    pub number: i64,
    pub file_name: String,
    pub input_sha256: String,
    pub knowledge_version: String,
    pub knowledge_as_of: String,
    pub as_of: String,
    pub policy: String,
    pub language: String,
    pub verdict: String,
    pub prior_consultation_required: bool,
    pub note: Option<String>,
    pub saved_by: String,
    pub saved_at: String,
    /// The day the vendor gave notice of the change this version records, if given.
    pub notice_date: Option<String>,
    /// The objection period given with it, instead of the DPA's.
    pub objection_days: Option<i64>,
}

/// A saved version, whole.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Version {
    pub system_id: i64,
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub model_text: String,
    /// The JSON report as it was when saved.
    pub result: serde_json::Value,
}

/// A system's latest version for re-judging, its result as the stored JSON text.
#[derive(Debug, Clone)]
pub struct LatestVersion {
    pub system_id: i64,
    /// The system's current name.
    pub name: String,
    pub summary: VersionSummary,
    pub model_text: String,
    pub result_json: String,
}

/// Something that happened to a system after it was saved: a version signed off as decision
/// basis, the system renamed or withdrawn. Events are never changed or deleted.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Event {
    pub id: i64,
    pub system_id: i64,
    /// The version the event concerns (a sign-off), if any.
    pub version_number: Option<i64>,
    pub kind: EventKind,
    /// Who did it.
    pub actor: String,
    pub at: String,
    pub comment: Option<String>,
    /// For a rename: the new name.
    pub name: Option<String>,
    /// For a re-assessment: what the version's model is judged to be now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassessment: Option<Reassessment>,
}

/// A saved version judged again (`tia portfolio --record`): the verdict it got when saved, the
/// verdict now, which findings came and went, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Reassessment {
    /// Every system re-judged in one run shares this id.
    pub run_id: String,
    pub knowledge_version: String,
    pub knowledge_as_of: String,
    /// The day the facts were judged as of.
    pub as_of: String,
    pub policy: String,
    /// The verdict the version got when saved.
    pub verdict_before: String,
    /// The verdict now; None when the model could not be judged (unknown is never safe).
    pub verdict_after: Option<String>,
    pub prior_consultation_required: Option<bool>,
    pub findings_added: Vec<String>,
    pub findings_removed: Vec<String>,
    /// The reasons in words (knowledge change-log entries, a later date…).
    pub why: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// "Approved as decision basis" by an approver.
    SignOff,
    Rename,
    Withdraw,
    /// The version judged again under newer knowledge or on a later date.
    Reassess,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignOff => "sign_off",
            EventKind::Rename => "rename",
            EventKind::Withdraw => "withdraw",
            EventKind::Reassess => "reassess",
        }
    }

    fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::SignOff,
            EventKind::Rename,
            EventKind::Withdraw,
            EventKind::Reassess,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What a new version holds; built from a model and its assessment by the caller.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub file_name: String,
    pub model_text: String,
    pub input_sha256: String,
    pub knowledge_version: String,
    pub knowledge_as_of: String,
    pub as_of: String,
    pub policy: String,
    pub language: String,
    pub verdict: String,
    pub prior_consultation_required: bool,
    pub result_json: String,
    pub note: Option<String>,
    pub saved_by: String,
    pub notice_date: Option<String>,
    pub objection_days: Option<i64>,
    /// The client's key for this save: a retry with the same key returns the saved version.
    pub idempotency_key: Option<String>,
}

impl NewVersion {
    /// The version a model and its report make.
    pub fn from_report(
        file_name: &str,
        model_text: &str,
        report: &crate::Report,
        note: Option<String>,
        saved_by: &str,
    ) -> Result<NewVersion, serde_json::Error> {
        Ok(NewVersion {
            file_name: file_name.to_string(),
            model_text: model_text.to_string(),
            input_sha256: report.input_sha256.clone(),
            knowledge_version: report.knowledge.version.clone(),
            knowledge_as_of: report.knowledge.as_of.to_string(),
            as_of: report.as_of.to_string(),
            policy: report.policy.id.clone(),
            language: report.language.code().to_string(),
            verdict: report.verdict.key().to_string(),
            prior_consultation_required: report.prior_consultation_required,
            result_json: serde_json::to_string(report)?,
            note,
            saved_by: saved_by.to_string(),
            notice_date: None,
            objection_days: None,
            idempotency_key: None,
        })
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

const SUMMARY_COLUMNS: &str = "number, file_name, input_sha256, knowledge_version, knowledge_as_of, as_of, policy, language, verdict, prior_consultation, note, saved_by, saved_at, notice_date, objection_days";

impl Store {
    /// Connects (creating a SQLite file when missing) and runs the backend's migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise(url)?;
        let pool = AnyPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_secs(10))
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .connect(&url)
            .await?;
        match backend {
            Backend::Sqlite => {
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&pool)
                    .await?;
                sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            }
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// SQLite's journal mode (`wal`), for checks; None on PostgreSQL.
    pub async fn sqlite_journal_mode(&self) -> Result<Option<String>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(row.try_get::<String, _>(0)?))
    }

    /// Creates a system with its first version, atomically.
    pub async fn create_system(
        &self,
        name: &str,
        first: &NewVersion,
    ) -> Result<(System, VersionSummary), StoreError> {
        let now = now();
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO systems (name, created_at, created_by) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(&now)
        .bind(&first.saved_by)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        insert_version(&mut tx, id, 1, first, &now).await?;
        tx.commit().await?;
        let system = self.system(id).await?.ok_or(sqlx::Error::RowNotFound)?;
        let latest = system.latest.clone().ok_or(sqlx::Error::RowNotFound)?;
        Ok((system, latest))
    }

    /// Adds the next version of a system; None when the system does not exist.
    pub async fn add_version(
        &self,
        system_id: i64,
        version: &NewVersion,
    ) -> Result<Option<VersionSummary>, StoreError> {
        // Writers to one system take turns: PostgreSQL locks the system's row until the
        // transaction ends (`FOR UPDATE`); SQLite's write transaction holds the database's
        // write lock from its start. The next number therefore cannot be taken twice. Should
        // the unique key still refuse a number, the save tries again after a short pause.
        for attempt in 0..20u64 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
            }
            let mut tx = self.begin().await?;
            let lock = match self.backend {
                Backend::Postgres => {
                    "SELECT COUNT(*) FROM (SELECT id FROM systems WHERE id = $1 FOR UPDATE) AS s"
                }
                Backend::Sqlite => "SELECT COUNT(*) FROM systems WHERE id = $1",
            };
            let exists = sqlx::query(lock)
                .bind(system_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get::<i64, _>(0)?;
            if exists == 0 {
                return Ok(None);
            }
            // A retry of a save that went through: the version it saved, not another.
            if let Some(key) = &version.idempotency_key {
                let saved: Option<i64> = sqlx::query(
                    "SELECT number FROM versions WHERE system_id = $1 AND idempotency_key = $2",
                )
                .bind(system_id)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
                if let Some(n) = saved {
                    tx.rollback().await?;
                    return self.version_summary(system_id, n).await;
                }
            }
            let next: i64 = sqlx::query(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE system_id = $1",
            )
            .bind(system_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            match insert_version(&mut tx, system_id, next, version, &now()).await {
                Ok(()) => {
                    tx.commit().await?;
                    return self.version_summary(system_id, next).await;
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Db(sqlx::Error::Protocol(
            "could not number the new version: too many concurrent saves".into(),
        )))
    }

    /// A write transaction. SQLite's takes the write lock at once (`BEGIN IMMEDIATE`), so two
    /// savers wait for each other instead of failing on the upgrade from reading to writing.
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Every system, newest first, with its latest version: one query.
    pub async fn systems(&self) -> Result<Vec<System>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(system_sql("")))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(system)
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    pub async fn system(&self, id: i64) -> Result<Option<System>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(system_sql("WHERE s.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(system)
            .transpose()
            .map_err(Into::into)
    }

    /// A page of a system's versions, oldest first: those numbered after `after`, at most
    /// `limit`.
    pub async fn versions_page(
        &self,
        system_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<VersionSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM versions WHERE system_id = $1 AND number > $2 ORDER BY number LIMIT $3"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(system_id)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary)
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    /// A system's versions, oldest first.
    pub async fn versions(&self, system_id: i64) -> Result<Vec<VersionSummary>, StoreError> {
        self.versions_page(system_id, 0, i64::MAX).await
    }

    pub async fn version_summary(
        &self,
        system_id: i64,
        number: i64,
    ) -> Result<Option<VersionSummary>, StoreError> {
        let sql =
            format!("SELECT {SUMMARY_COLUMNS} FROM versions WHERE system_id = $1 AND number = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(system_id)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(summary)
            .transpose()
            .map_err(Into::into)
    }

    pub async fn version(
        &self,
        system_id: i64,
        number: i64,
    ) -> Result<Option<Version>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, model_text, result_json FROM versions WHERE system_id = $1 AND number = $2"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(system_id)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let result: String = row.try_get("result_json")?;
        Ok(Some(Version {
            system_id,
            summary: summary(&row)?,
            model_text: row.try_get("model_text")?,
            result: serde_json::from_str(&result).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        }))
    }

    /// Runs a statement as is; for tests that check the schema refuses changes.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Whether the database answers a trivial query within two seconds.
    pub async fn ping(&self) -> bool {
        let q = sqlx::query("SELECT 1").fetch_one(&self.pool);
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(2), q).await,
            Ok(Ok(_))
        )
    }

    /// Waits for in-flight statements and closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Records an event; None when the system (or the version named) does not exist.
    pub async fn add_event(
        &self,
        system_id: i64,
        version_number: Option<i64>,
        kind: EventKind,
        actor: &str,
        comment: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<Event>, StoreError> {
        let exists: i64 = match version_number {
            Some(n) => {
                sqlx::query("SELECT COUNT(*) FROM versions WHERE system_id = $1 AND number = $2")
                    .bind(system_id)
                    .bind(n)
            }
            None => sqlx::query("SELECT COUNT(*) FROM systems WHERE id = $1").bind(system_id),
        }
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        if exists == 0 {
            return Ok(None);
        }
        let at = now();
        let id: i64 = sqlx::query(
            "INSERT INTO events (system_id, version_number, kind, actor, at, comment, name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(system_id)
        .bind(version_number)
        .bind(kind.as_str())
        .bind(actor)
        .bind(&at)
        .bind(comment)
        .bind(name)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok(Some(Event {
            id,
            system_id,
            version_number,
            kind,
            actor: actor.to_string(),
            at,
            comment: comment.map(str::to_string),
            name: name.map(str::to_string),
            reassessment: None,
        }))
    }

    /// A system's events, oldest first, with a re-assessment's details.
    pub async fn events(&self, system_id: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.system_id, e.version_number, e.kind, e.actor, e.at, e.comment, e.name, \
             r.run_id, r.knowledge_version, r.knowledge_as_of, r.as_of, r.policy, r.verdict_before, \
             r.verdict_after, r.prior_consultation, r.findings_added, r.findings_removed, r.why \
             FROM events e LEFT JOIN reassessments r ON r.event_id = e.id \
             WHERE e.system_id = $1 ORDER BY e.id",
        )
        .bind(system_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let list = |col: &str| -> Result<Vec<String>, sqlx::Error> {
                    let text: String = r.try_get(col)?;
                    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
                };
                let reassessment = match r.try_get::<Option<String>, _>("run_id")? {
                    Some(run_id) => Some(Reassessment {
                        run_id,
                        knowledge_version: r.try_get("knowledge_version")?,
                        knowledge_as_of: r.try_get("knowledge_as_of")?,
                        as_of: r.try_get("as_of")?,
                        policy: r.try_get("policy")?,
                        verdict_before: r.try_get("verdict_before")?,
                        verdict_after: r.try_get("verdict_after")?,
                        prior_consultation_required: r
                            .try_get::<Option<i64>, _>("prior_consultation")?
                            .map(|n| n != 0),
                        findings_added: list("findings_added")?,
                        findings_removed: list("findings_removed")?,
                        why: list("why")?,
                    }),
                    None => None,
                };
                Ok(Event {
                    id: r.try_get("id")?,
                    system_id: r.try_get("system_id")?,
                    version_number: r.try_get("version_number")?,
                    kind: EventKind::parse(&kind)
                        .ok_or_else(|| sqlx::Error::Protocol(format!("unknown event `{kind}`")))?,
                    actor: r.try_get("actor")?,
                    at: r.try_get("at")?,
                    comment: r.try_get("comment")?,
                    name: r.try_get("name")?,
                    reassessment,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Records re-assessments in one transaction: all of them or none. Each names a system and
    /// the version judged again; a version that does not exist fails the whole batch.
    pub async fn record_reassessments(
        &self,
        actor: &str,
        items: &[(i64, i64, Reassessment)],
    ) -> Result<usize, StoreError> {
        let at = now();
        let mut tx = self.begin().await?;
        for (system_id, version, r) in items {
            let id: i64 = sqlx::query(
                "INSERT INTO events (system_id, version_number, kind, actor, at, comment, name) \
                 SELECT $1, $2, $3, $4, $5, NULL, NULL FROM versions \
                 WHERE system_id = $1 AND number = $2 RETURNING id",
            )
            .bind(system_id)
            .bind(version)
            .bind(EventKind::Reassess.as_str())
            .bind(actor)
            .bind(&at)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
            sqlx::query(
                "INSERT INTO reassessments (event_id, run_id, knowledge_version, knowledge_as_of, as_of, policy, verdict_before, verdict_after, prior_consultation, findings_added, findings_removed, why) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id)
            .bind(&r.run_id)
            .bind(&r.knowledge_version)
            .bind(&r.knowledge_as_of)
            .bind(&r.as_of)
            .bind(&r.policy)
            .bind(&r.verdict_before)
            .bind(&r.verdict_after)
            .bind(r.prior_consultation_required.map(i64::from))
            .bind(json(&r.findings_added))
            .bind(json(&r.findings_removed))
            .bind(json(&r.why))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(items.len())
    }

    /// A page of the register for re-judging: the latest version of each system not withdrawn,
    /// for systems with an id above `after`, lowest id first, at most `limit`. The result is
    /// left as text (the caller reads only what it needs from it).
    pub async fn latest_versions_page(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LatestVersion>, StoreError> {
        let sql = format!(
            "SELECT s.id AS sid, \
             COALESCE((SELECT e.name FROM events e WHERE e.system_id = s.id AND e.kind = 'rename' ORDER BY e.id DESC LIMIT 1), s.name) AS sname, \
             {cols}, v.model_text, v.result_json FROM systems s JOIN versions v ON v.system_id = s.id \
             AND v.number = (SELECT MAX(m.number) FROM versions m WHERE m.system_id = s.id) \
             WHERE s.id > $1 AND NOT EXISTS (SELECT 1 FROM events w WHERE w.system_id = s.id AND w.kind = 'withdraw') \
             ORDER BY s.id LIMIT $2",
            cols = SUMMARY_COLUMNS
                .split(", ")
                .map(|c| format!("v.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(LatestVersion {
                    system_id: row.try_get("sid")?,
                    name: row.try_get("sname")?,
                    summary: summary(row)?,
                    model_text: row.try_get("model_text")?,
                    result_json: row.try_get("result_json")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Adds a user; false when the name is taken.
    pub async fn add_user(
        &self,
        name: &str,
        password_hash: &str,
        role: &str,
        created_by: &str,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO users (name, password_hash, role, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(password_hash)
        .bind(role)
        .bind(now())
        .bind(created_by)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A user's password hash and role.
    pub async fn user(&self, name: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query("SELECT password_hash, role FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                .transpose()?,
        )
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Stores a session by the SHA-256 of its id, and forgets expired ones.
    pub async fn create_session(
        &self,
        id_sha256: &str,
        user: &str,
        role: &str,
        ttl: std::time::Duration,
    ) -> Result<(), StoreError> {
        let now_s = now();
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(&now_s)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_sha256, user_name, role, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_sha256)
        .bind(user)
        .bind(role)
        .bind(later(ttl))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user and role of a live session.
    pub async fn session(&self, id_sha256: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query(
            "SELECT user_name, role FROM sessions WHERE id_sha256 = $1 AND expires_at > $2",
        )
        .bind(id_sha256)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
        .transpose()?)
    }

    pub async fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1")
            .bind(id_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a one-time setup token (by its SHA-256), valid for `ttl`.
    pub async fn create_setup_token(
        &self,
        id_sha256: &str,
        ttl: std::time::Duration,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO setup_tokens (id_sha256, expires_at) VALUES ($1, $2)")
            .bind(id_sha256)
            .bind(later(ttl))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a setup token is live, without using it.
    pub async fn setup_token_valid(&self, id_sha256: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM setup_tokens WHERE id_sha256 = $1 AND expires_at > $2",
        )
        .bind(id_sha256)
        .bind(now())
        .fetch_one(&self.pool)
        .await?
        .try_get::<i64, _>(0)?
            == 1)
    }

    /// Uses a setup token: true once, for a live token; every later call is false (also on
    /// another instance: the row is deleted in one statement).
    pub async fn take_setup_token(&self, id_sha256: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM setup_tokens WHERE id_sha256 = $1 AND expires_at > $2")
            .bind(id_sha256)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    system_id: i64,
    number: i64,
    v: &NewVersion,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO versions (system_id, number, file_name, model_text, input_sha256, knowledge_version, knowledge_as_of, as_of, policy, language, verdict, prior_consultation, result_json, note, saved_by, saved_at, notice_date, objection_days, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(system_id)
    .bind(number)
    .bind(&v.file_name)
    .bind(&v.model_text)
    .bind(&v.input_sha256)
    .bind(&v.knowledge_version)
    .bind(&v.knowledge_as_of)
    .bind(&v.as_of)
    .bind(&v.policy)
    .bind(&v.language)
    .bind(&v.verdict)
    .bind(i64::from(v.prior_consultation_required))
    .bind(&v.result_json)
    .bind(&v.note)
    .bind(&v.saved_by)
    .bind(now)
    .bind(&v.notice_date)
    .bind(v.objection_days)
    .bind(&v.idempotency_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Systems joined with their latest version. Versions are numbered 1, 2, 3… without gaps
/// ([`Store::add_version`]), so the latest number is also the count.
fn system_sql(filter: &str) -> String {
    let latest: Vec<String> = SUMMARY_COLUMNS
        .split(", ")
        .map(|c| format!("v.{c}"))
        .collect();
    format!(
        "SELECT s.id AS system_id, \
         COALESCE((SELECT e.name FROM events e WHERE e.system_id = s.id AND e.kind = 'rename' ORDER BY e.id DESC LIMIT 1), s.name) AS system_name, \
         (SELECT COUNT(*) FROM events w WHERE w.system_id = s.id AND w.kind = 'withdraw') AS system_withdrawn, \
         s.created_at AS system_created_at, \
         s.created_by AS system_created_by, {} FROM systems s LEFT JOIN versions v \
         ON v.system_id = s.id AND v.number = (SELECT MAX(m.number) FROM versions m WHERE m.system_id = s.id) \
         {filter} ORDER BY s.id DESC",
        latest.join(", ")
    )
}

fn system(row: &AnyRow) -> Result<System, sqlx::Error> {
    let latest = match row.try_get::<Option<i64>, _>("number")? {
        Some(_) => Some(summary(row)?),
        None => None,
    };
    Ok(System {
        id: row.try_get("system_id")?,
        name: row.try_get("system_name")?,
        withdrawn: row.try_get::<i64, _>("system_withdrawn")? > 0,
        created_at: row.try_get("system_created_at")?,
        created_by: row.try_get("system_created_by")?,
        versions: latest.as_ref().map_or(0, |v| v.number),
        latest,
    })
}

fn summary(row: &AnyRow) -> Result<VersionSummary, sqlx::Error> {
    Ok(VersionSummary {
        number: row.try_get("number")?,
        file_name: row.try_get("file_name")?,
        input_sha256: row.try_get("input_sha256")?,
        knowledge_version: row.try_get("knowledge_version")?,
        knowledge_as_of: row.try_get("knowledge_as_of")?,
        as_of: row.try_get("as_of")?,
        policy: row.try_get("policy")?,
        language: row.try_get("language")?,
        verdict: row.try_get("verdict")?,
        prior_consultation_required: row.try_get::<i64, _>("prior_consultation")? != 0,
        note: row.try_get("note")?,
        saved_by: row.try_get("saved_by")?,
        saved_at: row.try_get("saved_at")?,
        notice_date: row.try_get("notice_date")?,
        objection_days: row.try_get("objection_days")?,
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A time `ttl` from now, in the same format as [`now`] (so that the two compare as text).
fn later(ttl: std::time::Duration) -> String {
    (chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::zero()))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The backend a URL names, and the URL sqlx needs: a bare path is a SQLite file, and a SQLite
/// file is created when missing.
fn normalise(url: &str) -> Result<(Backend, String), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    let path = match url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
    {
        Some(p) => p,
        None if !url.contains("://") => url,
        None => return Err(StoreError::Url(redact_url(url))),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let mode = if path.contains("mode=") {
        String::new()
    } else {
        format!("{sep}mode=rwc")
    };
    Ok((Backend::Sqlite, format!("sqlite://{path}{mode}")))
}

/// The URL with any password replaced by `***`, for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let shown = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            let tail = redact_query_password(tail);
            format!("{scheme}://{shown}@{host}{tail}")
        }
        None => format!("{scheme}://{authority}{}", redact_query_password(tail)),
    }
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_never_show_passwords() {
        assert_eq!(
            redact_url("postgres://tia:s3cret@db.example:5432/tia"),
            "postgres://tia:***@db.example:5432/tia"
        );
        assert_eq!(
            redact_url("postgres://tia@localhost/tia?password=x&sslmode=require"),
            "postgres://tia@localhost/tia?password=***&sslmode=require"
        );
        assert_eq!(redact_url("sqlite://tia.db"), "sqlite://tia.db");
    }

    #[test]
    fn bare_paths_are_sqlite_files_created_when_missing() {
        assert_eq!(
            normalise("tia.db").unwrap(),
            (Backend::Sqlite, "sqlite://tia.db?mode=rwc".into())
        );
        assert_eq!(
            normalise("sqlite:///var/lib/tia.db").unwrap().1,
            "sqlite:///var/lib/tia.db?mode=rwc"
        );
        assert_eq!(
            normalise("postgresql://u@h/d").unwrap().0,
            Backend::Postgres
        );
        assert!(normalise("mysql://u:p@h/d").is_err());
    }
}
