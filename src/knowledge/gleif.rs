//! `tia knowledge import-gleif`: vendor entries from GLEIF's golden copy (CC0), streamed.
//!
//! Three files in GLEIF's published CSV layout (one header row, one record per row):
//! the Level 1 LEI-CDF golden copy (`LEI`, `Entity.LegalName`, `Entity.LegalJurisdiction`…),
//! the Level 2 relationship records, RR-CDF (`Relationship.StartNode.NodeID`,
//! `Relationship.EndNode.NodeID`, `Relationship.RelationshipType`,
//! `Relationship.Period.<n>.startDate`…), and the Level 2 reporting exceptions (`LEI`,
//! `Exception.Category`, `Exception.Reason.<n>`). The real files are gigabytes, so each is read
//! as a stream, row by row, keeping only the rows of the wanted entities and of the parents
//! found on the way: memory grows with the number of entities imported, never with the files.
//! The relationship file is read once per level of the parent chain (usually twice), the
//! Level 1 file twice (the wanted entities, then their parents).
//!
//! How GLEIF's facts become catalogue facts:
//! - a direct or ultimate accounting-consolidation parent is an owner with share 1 (GLEIF gives
//!   no percentage; consolidation means control) and `relationship: direct|ultimate`, its
//!   validity period (the `RELATIONSHIP_PERIOD`) and corroboration level;
//! - an international branch (`IS_INTERNATIONAL_BRANCH_OF`) names its head office as owner with
//!   share 1 and `relationship: branch`: a branch is the same legal person as its head office,
//!   so whatever law reaches the head office reaches the branch, and the engine already follows
//!   owners; a separate `branch_of` field would need a second path through the analysis for the
//!   same result;
//! - a lapsed or ended relationship is written with `status: lapsed|inactive`: kept as
//!   evidence, never a current owner;
//! - a reporting exception is `parents: { unknown: "GLEIF reporting exception: …" }` — never
//!   `none`, whatever the reason (NATURAL_PERSONS included): the persons may be anywhere;
//! - every parent is written as an entry of its own, up the chain, unless the catalogue already
//!   has an entry with its LEI, which is then named instead.

use super::{Knowledge, Vendor};
use crate::diag::{Diagnostic, InputError};
use chrono::{NaiveDate, NaiveDateTime};
use csv::ByteRecord;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// The source entry every imported vendor cites (knowledge/sources/vendors.yaml).
pub const SOURCE_ID: &str = "gleif-golden-copy";

/// At most this many levels of parents are followed (GLEIF gives the ultimate parent directly,
/// so real chains need two or three).
const MAX_DEPTH: usize = 16;

/// What to import and where to.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Level 1 LEI-CDF golden copy (CSV).
    pub level1: PathBuf,
    /// Level 2 relationship record (RR-CDF) golden copy (CSV).
    pub rr: PathBuf,
    /// Level 2 reporting exceptions golden copy (CSV).
    pub repex: PathBuf,
    /// Wanted entities by LEI.
    pub leis: Vec<String>,
    /// Wanted entities by exact legal name (case and spacing ignored).
    pub names: Vec<String>,
    /// When the golden copy was published (default: from the Level 1 file's name).
    pub published: Option<NaiveDateTime>,
    /// The vendor file to write or update.
    pub into: PathBuf,
    /// The knowledge folder the file belongs to (None: the embedded knowledge); the result is
    /// loaded with it before anything is written.
    pub knowledge_dir: Option<PathBuf>,
}

/// What an import wrote.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub file: PathBuf,
    pub published: NaiveDateTime,
    /// (id, legal name, LEI, what it says about the owners) per written entry.
    pub entries: Vec<(String, String, String, String)>,
    /// Entries of the file kept as they were.
    pub kept: usize,
    /// Passes over the relationship file.
    pub rr_passes: usize,
    pub warnings: Vec<String>,
}

/// A Level 1 record of a wanted entity.
#[derive(Debug, Clone)]
struct Entity {
    name: String,
    jurisdiction: String,
    country: String,
    entity_status: String,
    registration_status: String,
    last_update: String,
    registration: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RelKind {
    Direct,
    Ultimate,
    Branch,
}

impl RelKind {
    fn key(self) -> &'static str {
        match self {
            RelKind::Direct => "direct",
            RelKind::Ultimate => "ultimate",
            RelKind::Branch => "branch",
        }
    }
}

/// A relationship record of a wanted entity (or of a parent up its chain).
#[derive(Debug, Clone)]
struct Rel {
    parent: String,
    kind: RelKind,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    corroboration: Option<&'static str>,
    /// None: active; else `lapsed` or `inactive`.
    state: Option<&'static str>,
}

/// Parses the publish time from GLEIF's file name (`20261202-0800-gleif-goldencopy-…`).
pub fn published_from_name(path: &Path) -> Option<NaiveDateTime> {
    let name = path.file_name()?.to_str()?;
    let stamp = name.get(..13)?;
    if !name[13..].starts_with("-gleif-goldencopy") {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M").ok()
}

/// Reads `--published`: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD HH:MM` (UTC).
pub fn parse_published(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim().trim_end_matches('Z');
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y%m%d-%H%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// Reads a list of wanted entities: one LEI or legal name a line; `#` starts a comment.
pub fn read_list(path: &Path) -> Result<(Vec<String>, Vec<String>), InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::from(
            Diagnostic::new(
                &name,
                (1, 1),
                format!("cannot read the list of entities: {e}"),
            )
            .expected("a text file with one LEI or legal name a line"),
        )
    })?;
    let (mut leis, mut names) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if super::valid_lei(line) {
            leis.push(line.to_string());
        } else {
            names.push(line.to_string());
        }
    }
    Ok((leis, names))
}

/// One golden-copy CSV file, read as a stream.
struct Stream {
    name: String,
    reader: csv::Reader<BufReader<File>>,
    headers: Vec<String>,
    record: ByteRecord,
}

impl Stream {
    fn open(path: &Path, what: &str) -> Result<Stream, InputError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| {
            InputError::from(
                Diagnostic::new(&name, (1, 1), format!("cannot read the {what} file: {e}"))
                    .expected(format!("GLEIF's {what} golden copy in CSV (unzipped)"))
                    .hint("download it from https://www.gleif.org/en/lei-data/gleif-golden-copy/download-the-golden-copy and unzip it"),
            )
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let headers = reader
            .headers()
            .map_err(|e| csv_error(&name, &e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        Ok(Stream {
            name,
            reader,
            headers,
            record: ByteRecord::new(),
        })
    }

    /// The index of a column, or a located error naming it.
    fn column(&self, col: &str, what: &str) -> Result<usize, InputError> {
        self.headers.iter().position(|h| h == col).ok_or_else(|| {
            InputError::from(
                Diagnostic::new(&self.name, (1, 1), format!("missing column `{col}`"))
                    .expected(format!("the header row of GLEIF's {what} golden copy (CSV)"))
                    .hint("give the unzipped CSV golden copy, not the XML or JSON one, nor a concatenated file"),
            )
        })
    }

    fn optional(&self, col: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == col)
    }

    /// Reads the next row; false at the end.
    fn next(&mut self) -> Result<bool, InputError> {
        self.reader
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_error(&self.name, &e))
    }

    fn line(&self) -> usize {
        self.record.position().map_or(0, |p| p.line() as usize)
    }

    /// A field as text (GLEIF's files are UTF-8).
    fn field(&self, i: usize) -> Result<&str, InputError> {
        let raw = self.record.get(i).unwrap_or_default();
        std::str::from_utf8(raw).map_err(|_| self.at(i, "a field that is not UTF-8".into()))
    }

    /// A located error about field `i` of the current row.
    fn at(&self, i: usize, message: String) -> InputError {
        let col = self.headers.get(i).map_or("?", String::as_str);
        InputError::from(Diagnostic::new(
            &self.name,
            (self.line(), i + 1),
            format!("column `{col}`: {message}"),
        ))
    }

    /// A date field (`2019-01-01` or a timestamp starting with one), empty as None.
    fn date(&self, i: usize) -> Result<Option<NaiveDate>, InputError> {
        let s = self.field(i)?.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| self.at(i, format!("`{s}` is not a date (expected YYYY-MM-DD…)")))
    }
}

fn csv_error(file: &str, e: &csv::Error) -> InputError {
    let line = e.position().map_or(1, |p| p.line() as usize);
    let what = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a row with {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not UTF-8", err.field() + 1),
        _ => e.to_string(),
    };
    InputError::from(
        Diagnostic::new(file, (line, 1), format!("cannot read the CSV: {what}"))
            .expected("GLEIF's golden copy in CSV: one header row, one record per row"),
    )
}

/// Folds a legal name for matching: lower case, single spaces.
fn fold(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Level 1: records of the wanted LEIs, and of the entities whose legal name is wanted.
fn scan_level1(
    path: &Path,
    leis: &HashSet<String>,
    names: &HashSet<String>,
    out: &mut BTreeMap<String, Entity>,
) -> Result<(), InputError> {
    const WHAT: &str = "Level 1 LEI-CDF";
    let mut s = Stream::open(path, WHAT)?;
    let c_lei = s.column("LEI", WHAT)?;
    let c_name = s.column("Entity.LegalName", WHAT)?;
    let c_jur = s.column("Entity.LegalJurisdiction", WHAT)?;
    let c_country = s.column("Entity.LegalAddress.Country", WHAT)?;
    let c_status = s.column("Entity.EntityStatus", WHAT)?;
    let c_reg = s.column("Registration.RegistrationStatus", WHAT)?;
    let c_update = s.column("Registration.LastUpdateDate", WHAT)?;
    let c_ra = s.optional("Entity.RegistrationAuthority.RegistrationAuthorityEntityID");
    while s.next()? {
        let lei = s.field(c_lei)?.trim();
        let wanted =
            leis.contains(lei) || (!names.is_empty() && names.contains(&fold(s.field(c_name)?)));
        if !wanted || out.contains_key(lei) {
            continue;
        }
        let name = s.field(c_name)?.trim().to_string();
        if name.is_empty() {
            return Err(s.at(c_name, format!("LEI {lei} has no legal name")));
        }
        let entity = Entity {
            name,
            jurisdiction: s.field(c_jur)?.trim().to_string(),
            country: s.field(c_country)?.trim().to_string(),
            entity_status: s.field(c_status)?.trim().to_string(),
            registration_status: s.field(c_reg)?.trim().to_string(),
            last_update: s.field(c_update)?.trim().to_string(),
            registration: match c_ra {
                Some(i) => Some(s.field(i)?.trim().to_string()).filter(|r| !r.is_empty()),
                None => None,
            },
        };
        if entity.jurisdiction.is_empty() && entity.country.is_empty() {
            return Err(s.at(
                c_jur,
                format!("LEI {lei} has neither a legal jurisdiction nor a legal address country"),
            ));
        }
        out.insert(lei.to_string(), entity);
    }
    Ok(())
}

/// Relationship columns of the RR-CDF file.
struct RrColumns {
    start: usize,
    end: usize,
    kind: usize,
    status: usize,
    registration: usize,
    validation: usize,
    /// (startDate, endDate, periodType) for Period.1, Period.2…
    periods: Vec<(usize, usize, usize)>,
}

fn rr_columns(s: &Stream) -> Result<RrColumns, InputError> {
    const WHAT: &str = "Level 2 relationship record (RR-CDF)";
    let mut periods = Vec::new();
    for n in 1.. {
        let (a, b, c) = (
            s.optional(&format!("Relationship.Period.{n}.startDate")),
            s.optional(&format!("Relationship.Period.{n}.endDate")),
            s.optional(&format!("Relationship.Period.{n}.periodType")),
        );
        match (a, b, c) {
            (Some(a), Some(b), Some(c)) => periods.push((a, b, c)),
            _ if n == 1 => {
                s.column("Relationship.Period.1.startDate", WHAT)?;
                s.column("Relationship.Period.1.endDate", WHAT)?;
                s.column("Relationship.Period.1.periodType", WHAT)?;
            }
            _ => break,
        }
    }
    Ok(RrColumns {
        start: s.column("Relationship.StartNode.NodeID", WHAT)?,
        end: s.column("Relationship.EndNode.NodeID", WHAT)?,
        kind: s.column("Relationship.RelationshipType", WHAT)?,
        status: s.column("Relationship.RelationshipStatus", WHAT)?,
        registration: s.column("Registration.RegistrationStatus", WHAT)?,
        validation: s.column("Registration.ValidationSources", WHAT)?,
        periods,
    })
}

/// One pass over the relationship file: the records whose child is in `frontier`.
fn scan_rr(
    path: &Path,
    frontier: &HashSet<String>,
    out: &mut BTreeMap<String, Vec<Rel>>,
    skipped: &mut BTreeMap<String, Vec<String>>,
) -> Result<(), InputError> {
    let mut s = Stream::open(path, "Level 2 relationship record (RR-CDF)")?;
    let c = rr_columns(&s)?;
    while s.next()? {
        let child = s.field(c.start)?.trim();
        if !frontier.contains(child) {
            continue;
        }
        let child = child.to_string();
        let kind = match s.field(c.kind)?.trim() {
            "IS_DIRECTLY_CONSOLIDATED_BY" => RelKind::Direct,
            "IS_ULTIMATELY_CONSOLIDATED_BY" => RelKind::Ultimate,
            "IS_INTERNATIONAL_BRANCH_OF" => RelKind::Branch,
            other => {
                // Fund relationships (IS_FUND-MANAGED_BY, IS_SUBFUND_OF, IS_FEEDER_TO) are not
                // ownership.
                skipped.entry(child).or_default().push(other.to_string());
                continue;
            }
        };
        let registration = s.field(c.registration)?.trim();
        let lapsed = match registration {
            "PUBLISHED" | "PENDING_TRANSFER" | "PENDING_ARCHIVAL" | "TRANSFERRED" => false,
            "LAPSED" => true,
            "RETIRED" => false,
            // Records marked erroneous, duplicate or not yet validated say nothing.
            "ANNULLED" | "DUPLICATE" | "PENDING_VALIDATION" => continue,
            other => {
                return Err(s.at(
                    c.registration,
                    format!("unknown registration status `{other}`"),
                ))
            }
        };
        let state = match (s.field(c.status)?.trim(), registration) {
            ("INACTIVE", _) | (_, "RETIRED") => Some("inactive"),
            ("ACTIVE", _) if lapsed => Some("lapsed"),
            ("ACTIVE", _) => None,
            (other, _) => {
                return Err(s.at(
                    c.status,
                    format!("unknown relationship status `{other}` (expected ACTIVE or INACTIVE)"),
                ))
            }
        };
        let corroboration = match s.field(c.validation)?.trim() {
            "" => None,
            "FULLY_CORROBORATED" => Some("FULLY_CORROBORATED"),
            "PARTIALLY_CORROBORATED" => Some("PARTIALLY_CORROBORATED"),
            "ENTITY_SUPPLIED_ONLY" => Some("ENTITY_SUPPLIED_ONLY"),
            "PENDING" => Some("PENDING"),
            other => {
                return Err(s.at(
                    c.validation,
                    format!("unknown corroboration level `{other}` (expected FULLY_CORROBORATED, PARTIALLY_CORROBORATED, ENTITY_SUPPLIED_ONLY or PENDING)"),
                ))
            }
        };
        let (mut from, mut to) = (None, None);
        for &(a, b, t) in &c.periods {
            if s.field(t)?.trim() == "RELATIONSHIP_PERIOD" {
                from = s.date(a)?;
                to = s.date(b)?;
            }
        }
        let parent = s.field(c.end)?.trim();
        if !super::valid_lei(parent) {
            return Err(s.at(c.end, format!("`{parent}` is not an LEI")));
        }
        out.entry(child).or_default().push(Rel {
            parent: parent.to_string(),
            kind,
            from,
            to,
            corroboration,
            state,
        });
    }
    Ok(())
}

/// The reporting exceptions of the wanted LEIs: (category, reasons) each.
fn scan_repex(
    path: &Path,
    leis: &HashSet<String>,
    out: &mut BTreeMap<String, Vec<(String, Vec<String>)>>,
) -> Result<(), InputError> {
    const WHAT: &str = "Level 2 reporting exceptions";
    let mut s = Stream::open(path, WHAT)?;
    let c_lei = s.column("LEI", WHAT)?;
    let c_cat = s.column("Exception.Category", WHAT)?;
    let mut reasons = vec![s.column("Exception.Reason.1", WHAT)?];
    for n in 2.. {
        match s.optional(&format!("Exception.Reason.{n}")) {
            Some(i) => reasons.push(i),
            None => break,
        }
    }
    while s.next()? {
        let lei = s.field(c_lei)?.trim();
        if !leis.contains(lei) {
            continue;
        }
        let lei = lei.to_string();
        let category = match s.field(c_cat)?.trim() {
            "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT" => "direct parent",
            "ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT" => "ultimate parent",
            "" => return Err(s.at(c_cat, "an exception without its category".into())),
            other => {
                return Err(s.at(
                    c_cat,
                    format!("unknown exception category `{other}` (expected DIRECT_ACCOUNTING_CONSOLIDATION_PARENT or ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT)"),
                ))
            }
        };
        let mut why = Vec::new();
        for &i in &reasons {
            let r = s.field(i)?.trim();
            if !r.is_empty() {
                why.push(r.to_string());
            }
        }
        if why.is_empty() {
            return Err(s.at(reasons[0], "an exception without its reason".into()));
        }
        out.entry(lei)
            .or_default()
            .push((category.to_string(), why));
    }
    Ok(())
}

/// A catalogue id from a legal name: lower-case ASCII letters and digits joined by `-`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.to_lowercase().chars() {
        let rep = match ch {
            'a'..='z' | '0'..='9' => ch.to_string(),
            'å' | 'ä' | 'á' | 'à' | 'â' | 'ã' => "a".into(),
            'æ' => "ae".into(),
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' | 'õ' => "o".into(),
            'é' | 'è' | 'ê' | 'ë' => "e".into(),
            'ü' | 'ú' | 'ù' | 'û' => "u".into(),
            'í' | 'ì' | 'î' | 'ï' => "i".into(),
            'ß' => "ss".into(),
            'ç' => "c".into(),
            'ñ' => "n".into(),
            _ => "-".into(),
        };
        if rep == "-" && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push_str(&rep);
    }
    let mut out = out.trim_end_matches('-').to_string();
    out.truncate(48);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "entity".into()
    } else {
        out
    }
}

/// A YAML scalar in double quotes (JSON's string syntax is YAML's).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Imports the wanted entities and their parent chains into `opts.into`. Reads everything and
/// checks the result with the knowledge base before writing; on any error nothing is written.
pub fn import(opts: &ImportOptions) -> Result<ImportSummary, InputError> {
    let into_name = opts.into.display().to_string();
    let published = match opts.published.or_else(|| published_from_name(&opts.level1)) {
        Some(p) => p,
        None => {
            return Err(InputError::from(
                Diagnostic::new(
                    &opts.level1.display().to_string(),
                    (1, 1),
                    "cannot tell when this golden copy was published",
                )
                .expected("GLEIF's file name (`20261202-0800-gleif-goldencopy-lei2-golden-copy.csv`) or --published 2026-12-02T08:00")
                .hint("the publish time becomes the entries' `as_of`"),
            ))
        }
    };
    if opts.leis.is_empty() && opts.names.is_empty() {
        return Err(InputError::from(
            Diagnostic::new(&into_name, (1, 1), "no entity to import")
                .expected("--lei <LEI>, --name \"<legal name>\" or --list <file>"),
        ));
    }
    for lei in &opts.leis {
        if !super::valid_lei(lei) {
            return Err(InputError::from(
                Diagnostic::new("--lei", (1, 1), format!("`{lei}` is not an LEI"))
                    .expected("20 upper-case letters and digits (ISO 17442)"),
            ));
        }
    }

    // The knowledge the file belongs to, as it is now, and where the file sits in it.
    let (mut files, origin): (Vec<(String, String)>, String) = match &opts.knowledge_dir {
        Some(d) => (super::read_dir_files(d)?, d.display().to_string()),
        None => (
            super::embedded::FILES
                .iter()
                .map(|(n, t, _)| (n.to_string(), t.to_string()))
                .collect(),
            "embedded".into(),
        ),
    };
    let rel = opts
        .knowledge_dir
        .as_ref()
        .and_then(|d| opts.into.strip_prefix(d).ok())
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|| {
            format!(
                "vendors/{}",
                opts.into
                    .file_name()
                    .map_or("gleif.yaml".into(), |n| n.to_string_lossy().into_owned())
            )
        });
    if !rel.starts_with("vendors/") {
        return Err(InputError::from(
            Diagnostic::new(
                &into_name,
                (1, 1),
                "the output is not a vendor file of the knowledge folder",
            )
            .expected(
                "a file under <knowledge>/vendors/, e.g. --into knowledge/vendors/gleif.yaml",
            ),
        ));
    }
    let existing_text = match std::fs::read_to_string(&opts.into) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(InputError::from(Diagnostic::new(
                &into_name,
                (1, 1),
                format!("cannot read the vendor file to update: {e}"),
            )))
        }
    };
    files.retain(|(n, _)| *n != rel);
    if let Some(t) = &existing_text {
        files.push((rel.clone(), t.clone()));
    }
    let before = Knowledge::from_files(files.clone(), &origin)?;
    // Entries of this file, by LEI (kept ids), and of the rest of the catalogue (named as
    // parents, never written again).
    let in_file: HashSet<&str> = before
        .vendors
        .iter()
        .zip(&before.vendors.origins)
        .filter(|(_, o)| o.file == rel)
        .map(|(v, _)| v.id.as_str())
        .collect();
    let mut file_ids: HashMap<String, String> = HashMap::new();
    let mut elsewhere: HashMap<String, String> = HashMap::new();
    for v in before.vendors.iter() {
        if let Some(lei) = &v.lei {
            if in_file.contains(v.id.as_str()) {
                file_ids.insert(lei.clone(), v.id.clone());
            } else {
                elsewhere.insert(lei.clone(), v.id.clone());
            }
        }
    }

    // Level 1: the wanted entities.
    let wanted_leis: HashSet<String> = opts.leis.iter().cloned().collect();
    let wanted_names: HashSet<String> = opts.names.iter().map(|n| fold(n)).collect();
    let mut entities = BTreeMap::new();
    scan_level1(&opts.level1, &wanted_leis, &wanted_names, &mut entities)?;
    let l1_name = opts.level1.display().to_string();
    for lei in &opts.leis {
        if !entities.contains_key(lei) {
            return Err(InputError::from(
                Diagnostic::new(&l1_name, (1, 1), format!("LEI {lei} is not in the Level 1 file"))
                    .hint("check the LEI in GLEIF's search (https://search.gleif.org) and that the file is the full golden copy"),
            ));
        }
    }
    for name in &opts.names {
        let f = fold(name);
        if !entities.values().any(|e| fold(&e.name) == f) {
            return Err(InputError::from(
                Diagnostic::new(&l1_name, (1, 1), format!("no entity is named \"{name}\" in the Level 1 file"))
                    .hint("the name must be the legal name as GLEIF has it (case and spacing aside); or give the LEI with --lei"),
            ));
        }
    }
    let requested: Vec<String> = entities.keys().cloned().collect();
    let mut warnings = Vec::new();
    for name in &opts.names {
        let f = fold(name);
        let n = entities.values().filter(|e| fold(&e.name) == f).count();
        if n > 1 {
            warnings.push(format!(
                "{n} entities are named \"{name}\": all are imported (give --lei to choose)"
            ));
        }
    }
    for lei in &requested {
        if let Some(id) = elsewhere.get(lei) {
            return Err(InputError::from(
                Diagnostic::new(
                    &into_name,
                    (1, 1),
                    format!("LEI {lei} is already the catalogue entry `{id}`"),
                )
                .hint(
                    "update that entry by hand, or remove its `lei:` to import GLEIF's facts here",
                ),
            ));
        }
    }

    // Level 2: relationships, one pass per level of the chain.
    let mut known: HashSet<String> = requested.iter().cloned().collect();
    let mut frontier = known.clone();
    let mut rels: BTreeMap<String, Vec<Rel>> = BTreeMap::new();
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rr_passes = 0;
    while !frontier.is_empty() {
        if rr_passes == MAX_DEPTH {
            warnings.push(format!(
                "parent chains longer than {MAX_DEPTH} levels were cut: the entries at the top say so"
            ));
            break;
        }
        scan_rr(&opts.rr, &frontier, &mut rels, &mut skipped)?;
        rr_passes += 1;
        let mut next = HashSet::new();
        for lei in &frontier {
            for r in rels.get(lei).into_iter().flatten() {
                // A parent the catalogue already has keeps its own facts.
                if !known.contains(&r.parent) && !elsewhere.contains_key(&r.parent) {
                    next.insert(r.parent.clone());
                }
            }
        }
        known.extend(next.iter().cloned());
        frontier = next;
    }
    let cut: HashSet<String> = frontier;
    let mut exceptions = BTreeMap::new();
    scan_repex(&opts.repex, &known, &mut exceptions)?;
    let parents_missing: HashSet<String> = known
        .iter()
        .filter(|l| !entities.contains_key(*l))
        .cloned()
        .collect();
    if !parents_missing.is_empty() {
        scan_level1(
            &opts.level1,
            &parents_missing,
            &HashSet::new(),
            &mut entities,
        )?;
    }

    // Ids: an entry already in the file keeps its id; else the legal name's slug, with the LEI
    // added when another entity has it.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: HashSet<String> = before
        .vendors
        .iter()
        .filter(|v| v.lei.as_ref().is_none_or(|l| !entities.contains_key(l)))
        .map(|v| v.id.clone())
        .collect();
    for (lei, e) in &entities {
        let id = match file_ids.get(lei) {
            Some(id) => id.clone(),
            None => {
                let s = slug(&e.name);
                if taken.contains(&s) {
                    format!("{s}-{}", lei.to_lowercase())
                } else {
                    s
                }
            }
        };
        taken.insert(id.clone());
        ids.insert(lei.clone(), id);
    }
    let parent_id =
        |lei: &str| -> Option<String> { ids.get(lei).or_else(|| elsewhere.get(lei)).cloned() };

    let stamp = published.format("%Y-%m-%d %H:%M UTC").to_string();
    let as_of = published.date();
    let mut entries = Vec::new();
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for (lei, e) in &entities {
        let id = &ids[lei];
        let country = e
            .jurisdiction
            .split('-')
            .next()
            .filter(|c| c.len() == 2)
            .unwrap_or(&e.country)
            .to_uppercase();
        let mut notes = vec![format!(
            "From GLEIF's golden copy of {stamp}: entity status {}, LEI registration {} (last updated {}), legal jurisdiction {}.",
            or_dash(&e.entity_status),
            or_dash(&e.registration_status),
            or_dash(e.last_update.get(..10).unwrap_or(&e.last_update)),
            or_dash(&e.jurisdiction)
        )];
        let mut owners = Vec::new();
        let mut summary = Vec::new();
        let mut rs: Vec<&Rel> = rels.get(lei).into_iter().flatten().collect();
        rs.sort_by_key(|r| (r.kind, r.parent.clone()));
        for r in rs {
            let Some(pid) = parent_id(&r.parent) else {
                notes.push(format!(
                    "GLEIF names {} as {} parent, but the Level 1 file has no record of it: not listed.",
                    r.parent,
                    r.kind.key()
                ));
                continue;
            };
            let mut o = format!(
                "{{ vendor: {pid}, share: 1.0, lei: {}, relationship: {}",
                r.parent,
                r.kind.key()
            );
            if let Some(d) = r.from {
                o.push_str(&format!(", valid_from: {d}"));
            }
            if let Some(d) = r.to {
                o.push_str(&format!(", valid_to: {d}"));
            }
            if let Some(c) = r.corroboration {
                o.push_str(&format!(", corroboration: {c}"));
            }
            if let Some(st) = r.state {
                o.push_str(&format!(", status: {st}"));
            }
            o.push_str(" }");
            owners.push(o);
            summary.push(format!(
                "{} {pid}{}",
                r.kind.key(),
                r.state.map(|s| format!(" ({s})")).unwrap_or_default()
            ));
        }
        let exc: Vec<String> = exceptions
            .get(lei)
            .into_iter()
            .flatten()
            .map(|(cat, why)| format!("{cat} {}", why.join("/")))
            .collect();
        if let Some(kinds) = skipped.get(lei) {
            notes.push(format!(
                "Relationships that are not ownership were left out: {}.",
                kinds.join(", ")
            ));
        }
        let parents = if !owners.is_empty() {
            if !exc.is_empty() {
                notes.push(format!("GLEIF reporting exception: {}.", exc.join("; ")));
            }
            let mut t = String::from("\n");
            for o in &owners {
                t.push_str(&format!("    - {o}\n"));
            }
            t.pop();
            t
        } else {
            let reason = if cut.contains(lei) {
                format!("the parent chain was not followed beyond {MAX_DEPTH} levels")
            } else if !exc.is_empty() {
                format!("GLEIF reporting exception ({stamp}): {}", exc.join("; "))
            } else {
                format!("GLEIF's golden copy of {stamp} has neither a relationship record nor a reporting exception for this LEI")
            };
            summary.push(format!("unknown: {reason}"));
            format!(" {{ unknown: {} }}", q(&reason))
        };
        let mut t = format!(
            "- id: {id}\n  name: {}\n  incorporated: {}\n  lei: {lei}\n",
            q(&e.name),
            q(&country)
        );
        if let Some(r) = &e.registration {
            t.push_str(&format!("  registration: {}\n", q(r)));
        }
        t.push_str(&format!("  parents:{parents}\n"));
        t.push_str(&format!(
            "  source: {SOURCE_ID}\n  pinpoint: {}\n  as_of: {as_of}\n  note: {}\n",
            q(&format!(
                "Golden copy published {stamp}: Level 1 LEI-CDF record {lei}, Level 2 relationship records and reporting exceptions"
            )),
            q(&notes.join(" "))
        ));
        texts.insert(id.clone(), t);
        entries.push((
            id.clone(),
            e.name.clone(),
            lei.clone(),
            if summary.is_empty() {
                "no parent".into()
            } else {
                summary.join(", ")
            },
        ));
    }

    // The file: kept entries as they were (comments and all), imported ones replaced in place,
    // new ones at the end.
    let mut out = String::new();
    let mut kept = 0;
    match &existing_text {
        Some(t) => {
            let chunks = split_items(t);
            let parsed: Vec<Vendor> = crate::yaml::from_str::<Option<Vec<Vendor>>>(t)
                .ok()
                .flatten()
                .unwrap_or_default();
            if chunks.1.len() != parsed.len() {
                return Err(InputError::from(
                    Diagnostic::new(&into_name, (1, 1), "cannot update this file: its entries are not one `- id:` block each")
                        .hint("write to a new file with --into, or rewrite this one in block style"),
                ));
            }
            out.push_str(&chunks.0);
            for (chunk, v) in chunks.1.iter().zip(&parsed) {
                match texts.remove(&v.id) {
                    Some(new) => out.push_str(&new),
                    None => {
                        kept += 1;
                        out.push_str(chunk);
                        if !chunk.ends_with('\n') {
                            out.push('\n');
                        }
                    }
                }
            }
        }
        None => out.push_str(
            "# Written by `tia knowledge import-gleif` from GLEIF's golden copy (CC0); re-run it to\n# refresh. Entries are replaced by LEI; other entries and comments in this file are kept.\n",
        ),
    }
    for (_, t) in texts {
        out.push_str(&t);
    }

    // Check the result as the engine will load it, then write it whole.
    files.retain(|(n, _)| *n != rel);
    files.push((rel.clone(), out.clone()));
    if let Err(e) = Knowledge::from_files(files, &origin) {
        let mut e = e;
        for d in &mut e.diagnostics {
            if d.message.contains(&format!("unknown source `{SOURCE_ID}`")) {
                d.hint = Some(format!("the knowledge folder needs the source entry `{SOURCE_ID}` (see knowledge/sources/vendors.yaml)"));
            }
            if d.file == rel {
                d.message = format!("{} (in the entries import-gleif would write)", d.message);
                d.file = into_name.clone();
            }
        }
        return Err(e);
    }
    crate::typst::write_atomically(&opts.into, out.as_bytes()).map_err(|e| {
        InputError::from(
            Diagnostic::new(
                &into_name,
                (1, 1),
                format!("cannot write the vendor file: {e}"),
            )
            .hint("check that the folder exists and is writable"),
        )
    })?;
    Ok(ImportSummary {
        file: opts.into.clone(),
        published,
        entries,
        kept,
        rr_passes,
        warnings,
    })
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "—"
    } else {
        s
    }
}

/// A YAML list file split into its head (comments before the first item) and its top-level
/// items, each with the lines that follow it.
fn split_items(text: &str) -> (String, Vec<String>) {
    let mut head = String::new();
    let mut items: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("- ") || line.trim_end() == "-" {
            items.push(String::new());
        }
        match items.last_mut() {
            Some(i) => i.push_str(line),
            None => head.push_str(line),
        }
    }
    (head, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_publish_time_is_read_from_gleifs_file_name() {
        let t = published_from_name(Path::new(
            "/x/20261202-0800-gleif-goldencopy-lei2-golden-copy.csv",
        ))
        .unwrap();
        assert_eq!(t.to_string(), "2026-12-02 08:00:00");
        assert!(published_from_name(Path::new("lei2.csv")).is_none());
        assert_eq!(
            parse_published("2026-12-02").unwrap().to_string(),
            "2026-12-02 00:00:00"
        );
    }

    #[test]
    fn ids_are_slugs_of_the_legal_name() {
        assert_eq!(slug("Nordisk Datacenter A/S"), "nordisk-datacenter-a-s");
        assert_eq!(slug("Østjysk Ærø AB (publ)"), "ostjysk-aero-ab-publ");
    }

    #[test]
    fn a_kept_entry_keeps_its_comments() {
        let (head, items) = split_items("# head\n- id: a\n  # c\n  x: 1\n- id: b\n");
        assert_eq!(head, "# head\n");
        assert_eq!(items, ["- id: a\n  # c\n  x: 1\n", "- id: b\n"]);
    }
}
