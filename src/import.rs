//! `tia import subprocessors`: a processor's sub-processor list (a DPA annex saved as CSV or
//! XLSX) becomes parties and flows in a model.
//!
//! Each row is matched to the vendor catalogue (LEI or company number exactly, then the name by
//! similarity); a row that matches nothing becomes a party only when its country is known, and
//! every country inferred from a company number, an address or a location is marked as guessed.
//! Rows it cannot place are listed for the user, never assumed to be in the EU. Cell text is
//! data: it is written into the model only as quoted YAML strings, so a cell such as
//! `=cmd|' /C calc'!A0` stays inert text, and it is flagged in the report.
//!
//! Bounds: at most [`MAX_BYTES`] of input, [`MAX_ROWS`] data rows (refused beyond, nothing is
//! written), [`MAX_COLUMNS`] columns and [`MAX_CELL`] characters a cell. Files that are not
//! UTF-8 (Windows-1252, Latin-1, UTF-16) are refused with a hint, never decoded by guesswork.

use crate::diag::{known_hint, known_hint_text, Diagnostic, Text};
use crate::{InputError, Knowledge};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The largest file read, in bytes.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The most data rows a list may have; a longer file is refused before anything is written.
pub const MAX_ROWS: usize = 10_000;
/// The most columns read in a row.
pub const MAX_COLUMNS: usize = 64;
/// The longest cell, in characters.
pub const MAX_CELL: usize = 20_000;
/// The rows searched for the header (title rows above it are skipped).
pub const HEADER_ROWS: usize = 20;
/// A name match at or above this score is taken (when clearly ahead of the next vendor).
pub const TAKE_SCORE: f64 = 0.90;
/// A name match at or above this score is reported as a candidate, not taken.
pub const CANDIDATE_SCORE: f64 = 0.60;
/// How far the best name match must be ahead of the next vendor's to be taken.
pub const MARGIN: f64 = 0.05;

/// What a column of the list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Name,
    CompanyNumber,
    Address,
    Country,
    Service,
    Location,
}

/// Header words (sv, da, en), compared after lower-casing and dropping everything but letters
/// and digits; a header matches the longest word it starts with.
const HEADER_WORDS: &[(Column, &[&str])] = &[
    (
        Column::Name,
        &[
            "name",
            "navn",
            "namn",
            "leverantör",
            "leverandør",
            "underleverantör",
            "underleverandør",
            "underbiträde",
            "underbiträden",
            "underdatabehandler",
            "subprocessor",
            "vendor",
            "supplier",
            "company",
            "virksomhed",
            "företag",
            "firma",
            "entity",
        ],
    ),
    (
        Column::CompanyNumber,
        &[
            "companynumber",
            "companyno",
            "companyregistration",
            "registration",
            "registrationnumber",
            "cvr",
            "orgnr",
            "organisationsnummer",
            "organisationsnr",
            "organizationnumber",
            "lei",
            "vat",
            "momsnr",
            "regnr",
        ],
    ),
    (
        Column::Address,
        &[
            "address",
            "adresse",
            "adress",
            "postadress",
            "registeredaddress",
        ],
    ),
    (
        Column::Country,
        &["country", "land", "landekode", "landskod"],
    ),
    (
        Column::Service,
        &[
            "service",
            "ydelse",
            "tjänst",
            "behandling",
            "purpose",
            "formål",
            "ändamål",
            "beskrivelse",
            "beskrivning",
            "description",
            "activity",
            "aktivitet",
        ],
    ),
    (
        Column::Location,
        &[
            "location",
            "lokation",
            "lokalitet",
            "plats",
            "placering",
            "behandlingssted",
            "behandlingsplats",
            "processinglocation",
            "datacenter",
            "hosting",
        ],
    ),
];

/// Where the model goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Rewrite the base model (`--model FILE --in-place`).
    InPlace,
    /// Write to a file (`-o OUT`, or `--into NEW`, which must not exist yet).
    File { path: PathBuf, must_be_new: bool },
}

/// What `tia import subprocessors` was asked to do.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file: PathBuf,
    /// The sheet of an XLSX file (default: the first).
    pub sheet: Option<String>,
    /// The processor the sub-processors work for: a party id of the base model, or for a new
    /// model a vendor catalogue id.
    pub under: String,
    /// The model to add to, or whose controller and processing a new model takes.
    pub model: Option<PathBuf>,
    /// The controller's country for a new model without a base (placeholders otherwise).
    pub controller_country: Option<String>,
    pub destination: Destination,
}

/// `tia import subprocessors FILE`: the command-line arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SubprocessorsArgs {
    /// The list: CSV (UTF-8; comma, semicolon or tab) or XLSX.
    pub file: PathBuf,
    /// The processor the sub-processors work for: a party id of --model, or for a new model
    /// the processor's vendor catalogue id.
    #[arg(long, value_name = "PARTY_ID")]
    pub under: String,
    /// The sheet of an XLSX file (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The model to add to (with --in-place or -o), or whose text a new model (--into) starts
    /// from.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Rewrite --model itself.
    #[arg(long, conflicts_with_all = ["output", "into"])]
    pub in_place: bool,
    /// Write the model here (may replace a file).
    #[arg(short, long, value_name = "OUT", conflicts_with = "into")]
    pub output: Option<PathBuf>,
    /// Write a new model here (refused when the file exists).
    #[arg(long, value_name = "NEW")]
    pub into: Option<PathBuf>,
    /// The controller's country for a new model without --model (the rest are placeholders).
    #[arg(long, value_name = "CC")]
    pub controller_country: Option<String>,
    /// The report: text, or JSON (the [`ImportReport`] as is).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// How the import's report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

impl SubprocessorsArgs {
    /// The options, or what is missing in words.
    pub fn options(&self) -> Result<ImportOptions, String> {
        let destination = match (self.in_place, &self.output, &self.into) {
            (true, _, _) => Destination::InPlace,
            (false, Some(o), _) => Destination::File {
                path: o.clone(),
                must_be_new: false,
            },
            (false, None, Some(n)) => Destination::File {
                path: n.clone(),
                must_be_new: true,
            },
            (false, None, None) => {
                return Err("say where to write: --into NEW.yaml, --model FILE --in-place, or --model FILE -o OUT.yaml".into())
            }
        };
        Ok(ImportOptions {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            under: self.under.clone(),
            model: self.model.clone(),
            controller_country: self.controller_country.clone(),
            destination,
        })
    }
}

/// How a row was matched to the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchHow {
    Lei,
    CompanyNumber,
    Name,
}

/// Where a row's country of incorporation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountrySource {
    Catalogue,
    CountryColumn,
    CompanyNumber,
    Address,
    Location,
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Matched to a catalogue entry: the party names it with `vendor:`.
    Matched,
    /// Not in the catalogue, country known: written with that country, to confirm.
    Unmatched,
    /// Not in the catalogue and no country known: listed, not written.
    NotWritten,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub vendor: String,
    pub name: String,
    pub score: f64,
}

/// One row of the list and what the import made of it.
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    /// Line (CSV) or row (XLSX) in the file, from 1.
    pub row: usize,
    /// `file:row`.
    pub source: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
    pub status: RowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how: Option<MatchHow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Country of incorporation (ISO 3166-1 alpha-2), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_from: Option<CountrySource>,
    /// The country was inferred (company number format, address, location): confirm it.
    pub country_guessed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_reason: Option<String>,
    /// Countries the row's location (or address) column names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    /// The party id the row was written as (or found as).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Headers of cells that start like a spreadsheet formula (= + - @ tab CR): kept as text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub formula_cells: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl RowReport {
    /// A row as read, before it is matched: nothing found yet.
    fn read(
        at: usize,
        source: String,
        name: String,
        company_number: Option<String>,
        locations: Vec<String>,
        formula_cells: Vec<String>,
    ) -> RowReport {
        RowReport {
            row: at,
            source,
            name,
            company_number,
            status: RowStatus::NotWritten,
            vendor: None,
            how: None,
            score: None,
            candidates: Vec::new(),
            country: None,
            country_from: None,
            country_guessed: false,
            country_reason: None,
            locations,
            party: None,
            formula_cells,
            notes: Vec::new(),
        }
    }

    /// The country the file points to; a guess unless it came from a country column.
    fn country(mut self, c: Option<CountryGuess>) -> RowReport {
        if let Some((code, from, reason)) = c {
            self.country_guessed = from != CountrySource::CountryColumn;
            self.country = Some(code);
            self.country_from = Some(from);
            self.country_reason = reason;
        }
        self
    }

    fn outcome(mut self, status: RowStatus, party: Option<String>, notes: Vec<String>) -> Self {
        self.status = status;
        self.party = party;
        self.notes = notes;
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub column: Column,
    pub header: String,
    /// Position from 1.
    pub position: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub rows: usize,
    pub matched: usize,
    pub unmatched: usize,
    pub not_written: usize,
    pub guessed: usize,
    pub flagged: usize,
    pub empty_rows_skipped: usize,
    pub parties_added: usize,
    pub flows_added: usize,
}

/// The import's report (`--format json` prints it as is).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    /// `csv` or `xlsx`.
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub header_row: usize,
    pub columns: Vec<ColumnReport>,
    pub under: String,
    pub written: String,
    pub counts: Counts,
    pub rows: Vec<RowReport>,
}

/// One row as read: its line or row number and its cells.
#[derive(Debug, Clone)]
struct RawRow {
    at: usize,
    cells: Vec<String>,
}

struct Table {
    format: &'static str,
    delimiter: Option<u8>,
    sheet: Option<String>,
    header_at: usize,
    columns: HeaderColumns,
    rows: Vec<RawRow>,
    empty_skipped: usize,
}

fn diag(file: &str, at: (usize, usize), msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(file, at, msg)
}

/// Every header word, for hints.
pub fn header_words() -> String {
    HEADER_WORDS
        .iter()
        .map(|(c, words)| {
            let name = match c {
                Column::Name => "name",
                Column::CompanyNumber => "company number",
                Column::Address => "address",
                Column::Country => "country",
                Column::Service => "service",
                Column::Location => "location",
            };
            format!("{name}: {}", words.join("/"))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn norm_header(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn header_column(cell: &str) -> Option<Column> {
    let h = norm_header(cell);
    if h.is_empty() || h.chars().count() > 60 {
        return None;
    }
    let mut best: Option<(usize, Column)> = None;
    for (col, words) in HEADER_WORDS {
        for w in *words {
            if h.starts_with(w) && best.is_none_or(|(l, _)| w.len() > l) {
                best = Some((w.len(), *col));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// The header in the first rows: a row with a name column and at least one other.
/// The recognised columns: what each holds, its position from 0, its header as written.
type HeaderColumns = Vec<(Column, usize, String)>;

fn find_header(rows: &[RawRow]) -> Option<(usize, HeaderColumns)> {
    for (i, r) in rows.iter().enumerate().take(HEADER_ROWS) {
        let mut cols: HeaderColumns = Vec::new();
        for (j, cell) in r.cells.iter().enumerate() {
            if let Some(c) = header_column(cell) {
                if !cols.iter().any(|(k, _, _)| *k == c) {
                    cols.push((c, j, cell.trim().to_string()));
                }
            }
        }
        if cols.iter().any(|(c, _, _)| *c == Column::Name) && cols.len() >= 2 {
            return Some((i, cols));
        }
    }
    None
}

/// A cell with control and bidirectional-override characters replaced by spaces.
fn clean_cell(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
            {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Whether a cell starts like a spreadsheet formula (OWASP CSV injection).
fn formula_like(raw: &str) -> bool {
    let starts = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'))
    };
    starts(raw) || starts(raw.trim_start_matches(' '))
}

fn read_bytes(path: &Path, file: &str) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| {
        Diagnostic::text(
            file,
            (1, 1),
            Text::message("list_unreadable").arg("error", e),
        )
        .expected_text(Text::expected("list_file"))
        .hint_text(Text::hint("list_check_path"))
    })?;
    let mut bytes = Vec::new();
    f.take(MAX_BYTES + 1).read_to_end(&mut bytes).map_err(|e| {
        Diagnostic::text(
            file,
            (1, 1),
            Text::message("list_unreadable").arg("error", e),
        )
    })?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large(file));
    }
    Ok(bytes)
}

fn too_large(file: &str) -> InputError {
    Diagnostic::text(
        file,
        (1, 1),
        Text::message("list_too_large").arg("mib", MAX_BYTES / (1024 * 1024)),
    )
    .expected_text(Text::expected("list_small"))
    .hint_text(Text::hint("list_split"))
    .into()
}

fn read_table(bytes: Vec<u8>, sheet: Option<&str>, file: &str) -> Result<Table, InputError> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large(file));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes, sheet, file);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(Diagnostic::text(file, (1, 1), Text::message("list_xls"))
            .expected_text(Text::expected("list_csv_or_xlsx"))
            .hint_text(Text::hint("list_save_as"))
            .into());
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Diagnostic::text(file, (1, 1), Text::message("list_utf16"))
            .expected_text(Text::expected("list_utf8"))
            .hint_text(Text::hint("list_utf16_convert"))
            .into());
    }
    if sheet.is_some() {
        return Err(
            Diagnostic::text(file, (1, 1), Text::message("list_sheet_for_csv"))
                .hint_text(Text::hint("list_leave_out_sheet"))
                .into(),
        );
    }
    read_csv(bytes, file)
}

fn read_csv(bytes: Vec<u8>, file: &str) -> Result<Table, InputError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let before = &body[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            let byte = body[at];
            let latin = if byte >= 0xA0 {
                Text::word("list_latin1_char").arg("char", byte as char)
            } else {
                Text::plain("")
            };
            return Err(Diagnostic::text(
                file,
                (line, column),
                Text::message("list_not_utf8")
                    .arg("byte", format!("0x{byte:02X}"))
                    .arg_text("latin", latin),
            )
            .expected_text(Text::expected("list_utf8_bom"))
            .hint_text(Text::hint("list_latin1_convert"))
            .into());
        }
    };
    let parse = |delim: u8, limit: Option<usize>| -> Result<(Vec<RawRow>, bool), InputError> {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        // Lines are counted here: the csv crate's own count lags by one after CRLF.
        let bytes = text.as_bytes();
        let (mut seen, mut line_at) = (0usize, 1usize);
        loop {
            if limit.is_some_and(|l| rows.len() >= l) {
                return Ok((rows, false));
            }
            match rdr.read_record(&mut record) {
                Ok(false) => return Ok((rows, true)),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(1, |p| p.line() as usize);
                    return Err(Diagnostic::text(
                        file,
                        (line, 1),
                        Text::message("list_csv_unreadable").arg("error", e),
                    )
                    .expected_text(Text::expected("list_csv_rows"))
                    .hint_text(Text::hint("list_check_quotes"))
                    .into());
                }
            }
            let mut b = record
                .position()
                .map_or(0, |p| p.byte() as usize)
                .min(bytes.len());
            while b < bytes.len() && matches!(bytes[b], b'\r' | b'\n') {
                b += 1;
            }
            if b >= seen {
                line_at += bytes[seen..b].iter().filter(|c| **c == b'\n').count();
                seen = b;
            }
            let line = line_at;
            if record.len() > MAX_COLUMNS {
                return Err(Diagnostic::text(
                    file,
                    (line, 1),
                    Text::message("list_row_cells").arg("cells", record.len()),
                )
                .expected_text(Text::expected("list_max_columns").arg("max", MAX_COLUMNS))
                .hint_text(Text::hint("list_remove_columns"))
                .into());
            }
            rows.push(RawRow {
                at: line,
                cells: record.iter().map(str::to_string).collect(),
            });
            // Counting every row (title and empty rows too) bounds the work before the
            // header is known; the data-row limit is checked once it is.
            if rows.len() > MAX_ROWS + HEADER_ROWS + MAX_ROWS / 10 {
                return Err(too_many_rows(file, line));
            }
        }
    };
    // The delimiter is the one whose header has the most recognised columns.
    let mut best: Option<(u8, usize)> = None;
    for d in [b',', b';', b'\t'] {
        let Ok((rows, _)) = parse(d, Some(HEADER_ROWS)) else {
            continue;
        };
        if let Some((_, cols)) = find_header(&rows) {
            if best.is_none_or(|(_, n)| cols.len() > n) {
                best = Some((d, cols.len()));
            }
        }
    }
    let Some((delim, _)) = best else {
        return Err(no_header(file));
    };
    let (rows, _) = parse(delim, None)?;
    finish_table(rows, "csv", Some(delim), None, file)
}

fn too_many_rows(file: &str, line: usize) -> InputError {
    Diagnostic::text(
        file,
        (line, 1),
        Text::message("list_too_many_rows").arg("max", MAX_ROWS),
    )
    .expected_text(Text::expected("list_max_rows").arg("max", MAX_ROWS))
    .hint_text(Text::hint("list_few_rows"))
    .into()
}

fn no_header(file: &str) -> InputError {
    Diagnostic::text(
        file,
        (1, 1),
        Text::message("list_no_header").arg("rows", HEADER_ROWS),
    )
    .expected_text(Text::expected("list_header"))
    .hint_text(Text::hint("list_header_words").arg("words", header_words()))
    .into()
}

fn finish_table(
    rows: Vec<RawRow>,
    format: &'static str,
    delimiter: Option<u8>,
    sheet: Option<String>,
    file: &str,
) -> Result<Table, InputError> {
    let Some((h, columns)) = find_header(&rows) else {
        return Err(no_header(file));
    };
    let header_at = rows[h].at;
    let mut data = Vec::new();
    let mut empty_skipped = 0;
    for r in rows.into_iter().skip(h + 1) {
        if r.cells.iter().all(|c| c.trim().is_empty()) {
            empty_skipped += 1;
            continue;
        }
        if data.len() == MAX_ROWS {
            return Err(too_many_rows(file, r.at));
        }
        for (j, c) in r.cells.iter().enumerate() {
            if c.chars().count() > MAX_CELL {
                return Err(Diagnostic::text(
                    file,
                    (r.at, j + 1),
                    Text::message("list_long_cell").arg("max", MAX_CELL),
                )
                .expected_text(Text::expected("list_short_cell"))
                .hint_text(Text::hint("list_shorten_cell"))
                .into());
            }
        }
        data.push(r);
    }
    Ok(Table {
        format,
        delimiter,
        sheet,
        header_at,
        columns,
        rows: data,
        empty_skipped,
    })
}

fn read_xlsx(bytes: Vec<u8>, sheet: Option<&str>, file: &str) -> Result<Table, InputError> {
    use calamine::{DataRef, Reader};
    let bad = |e: &dyn std::fmt::Display| {
        InputError::from(
            Diagnostic::text(
                file,
                (1, 1),
                Text::message("list_xlsx_unreadable").arg("error", e),
            )
            .expected_text(Text::expected("list_xlsx"))
            .hint_text(Text::hint("list_save_again")),
        )
    };
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                return Err(Diagnostic::text(
                    file,
                    (1, 1),
                    Text::message("list_no_sheet").arg("sheet", s),
                )
                .expected_text(Text::expected("list_sheet_name"))
                .hint_text(known_hint_text(s, names.iter().map(String::as_str)))
                .into());
            }
            s.to_string()
        }
        None => names.first().cloned().ok_or_else(|| bad(&"no sheets"))?,
    };
    let mut cells = wb.worksheet_cells_reader(&name).map_err(|e| bad(&e))?;
    let mut rows: Vec<RawRow> = Vec::new();
    let mut count = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|e| bad(&e))? {
        let (r, c) = cell.get_position();
        let (r, c) = (r as usize, c as usize);
        if r >= MAX_ROWS + HEADER_ROWS + MAX_ROWS / 10 {
            return Err(too_many_rows(file, r + 1));
        }
        count += 1;
        if c >= MAX_COLUMNS || count > (MAX_ROWS + HEADER_ROWS) * MAX_COLUMNS {
            continue;
        }
        let text = match cell.get_value() {
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => s.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            DataRef::Float(f) => f.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(d) => d.to_string(),
            DataRef::Error(_) | DataRef::Empty => String::new(),
        };
        if rows.last().is_none_or(|l| l.at != r + 1) {
            rows.push(RawRow {
                at: r + 1,
                cells: Vec::new(),
            });
        }
        let row = rows.last_mut().expect("pushed");
        if row.cells.len() <= c {
            row.cells.resize(c + 1, String::new());
        }
        row.cells[c] = text;
    }
    finish_table(rows, "xlsx", None, Some(name), file)
}

// ---------------------------------------------------------------------------------------------
// Matching

/// Similarity of a row's normalized name to a catalogue name, from 0 to 1: mostly the share of
/// the row's words found in the catalogue name (every word must be explained), then the share of
/// the catalogue name's words found in the row, then Jaro–Winkler; a typo is allowed in words of
/// four letters or more.
pub fn name_score(row: &str, catalogue: &str) -> f64 {
    if row.is_empty() || catalogue.is_empty() {
        return 0.0;
    }
    if row == catalogue {
        return 1.0;
    }
    0.6 * words_found(row, catalogue)
        + 0.2 * words_found(catalogue, row)
        + 0.2 * strsim::jaro_winkler(row, catalogue)
}

/// The share of the words of `a` found in `b` (both normalized), a typo allowed in words of four
/// letters or more.
fn words_found(a: &str, b: &str) -> f64 {
    let ta: Vec<&str> = a.split(' ').filter(|w| !w.is_empty()).collect();
    if ta.is_empty() {
        return 0.0;
    }
    let tb: Vec<&str> = b.split(' ').collect();
    let same = |x: &str, y: &str| {
        x == y
            || (x.chars().count() >= 4
                && y.chars().count() >= 4
                && strsim::jaro_winkler(x, y) >= 0.92)
    };
    ta.iter().filter(|t| tb.iter().any(|u| same(t, u))).count() as f64 / ta.len() as f64
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The country a company number's format points to, with the reason in words
/// (`knowledge/identifiers.yaml`). Only countries the knowledge has are returned.
pub fn country_from_number(number: &str, kb: &Knowledge) -> Option<(String, String)> {
    kb.identifiers
        .country_of_number(number, |code| kb.jurisdictions.contains(code))
}

/// Country names in every language the knowledge has (sv, en, da), as word sequences.
struct CountryNames {
    names: Vec<(Vec<String>, String)>,
}

fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl CountryNames {
    fn new(kb: &Knowledge) -> Self {
        let mut names = Vec::new();
        for j in kb.jurisdictions.iter() {
            let mut seen = HashSet::new();
            for n in [Some(&j.name.sv), Some(&j.name.en), j.name.da.as_ref()]
                .into_iter()
                .flatten()
            {
                let w = words(n);
                if !w.is_empty() && seen.insert(w.clone()) {
                    names.push((w, j.code.clone()));
                }
            }
        }
        // Longer names first, so "Hong Kong" is found before a shorter name inside it.
        names.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        CountryNames { names }
    }

    /// Every country named in a text, in the order they appear.
    fn all_in(&self, text: &str) -> Vec<String> {
        let w = words(text);
        let mut found: Vec<(usize, String)> = Vec::new();
        for (name, code) in &self.names {
            if name.len() > w.len() {
                continue;
            }
            for i in 0..=(w.len() - name.len()) {
                if w[i..i + name.len()] == name[..] {
                    found.push((i, code.clone()));
                }
            }
        }
        found.sort();
        let mut out = Vec::new();
        for (_, c) in found {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// The country an address names in its last part (after the last line break or comma),
    /// else the last country named anywhere in it.
    fn of_address(&self, address: &str) -> Option<String> {
        let last = address
            .rsplit(['\n', ','])
            .map(str::trim)
            .find(|s| !s.is_empty())?;
        self.all_in(last)
            .pop()
            .or_else(|| self.all_in(address).pop())
    }

    /// A country cell: a code the knowledge has, or a country's name.
    fn of_cell(&self, cell: &str, kb: &Knowledge) -> Option<String> {
        let t = cell.trim();
        if t.len() == 2 && kb.jurisdictions.contains(&t.to_uppercase()) {
            return Some(t.to_uppercase());
        }
        let w = words(t);
        self.names
            .iter()
            .find(|(n, _)| *n == w)
            .map(|(_, c)| c.clone())
    }
}

enum Match<'a> {
    Taken(&'a crate::knowledge::Vendor, MatchHow, f64),
    None(Vec<Candidate>, Option<String>),
}

fn match_row<'a>(name: &str, number: Option<&str>, kb: &'a Knowledge) -> Match<'a> {
    if let Some(num) = number {
        let lei = num.trim().to_uppercase();
        if crate::knowledge::valid_lei(&lei) {
            if let Some(v) = kb.vendors.iter().find(|v| {
                v.lei
                    .as_deref()
                    .is_some_and(|l| l.eq_ignore_ascii_case(&lei))
            }) {
                return Match::Taken(v, MatchHow::Lei, 1.0);
            }
        }
        let d = digits(num);
        if d.len() >= 6 {
            if let Some(v) = kb
                .vendors
                .iter()
                .find(|v| v.registration.as_deref().is_some_and(|r| digits(r) == d))
            {
                return Match::Taken(v, MatchHow::CompanyNumber, 1.0);
            }
        }
    }
    // The full legal name as the catalogue writes it (case and punctuation aside) is taken.
    let full = |s: &str| words(&s.replace(['.', '/', '\''], "")).join(" ");
    let exact: Vec<&crate::knowledge::Vendor> = kb
        .vendors
        .iter()
        .filter(|v| full(&v.name) == full(name))
        .collect();
    if let [v] = exact[..] {
        if number.is_none_or(|n| {
            digits(n).is_empty()
                || v.registration
                    .as_deref()
                    .is_none_or(|r| digits(r) == digits(n))
        }) {
            return Match::Taken(v, MatchHow::Name, 1.0);
        }
    }
    let n = kb.identifiers.name_key(name);
    let mut scored: Vec<(f64, &crate::knowledge::Vendor)> = kb
        .vendors
        .iter()
        .map(|v| (name_score(&n, &kb.identifiers.name_key(&v.name)), v))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let candidates: Vec<Candidate> = scored
        .iter()
        .filter(|(s, _)| *s >= CANDIDATE_SCORE)
        .take(3)
        .map(|(s, v)| Candidate {
            vendor: v.id.clone(),
            name: v.name.clone(),
            score: round2(*s),
        })
        .collect();
    let Some(&(best, v)) = scored.first() else {
        return Match::None(candidates, None);
    };
    let second = scored.get(1).map_or(0.0, |s| s.0);
    if best < TAKE_SCORE {
        return Match::None(candidates, None);
    }
    // A bare brand ("Microsoft", "TeamViewer") that several entities' names contain in full
    // names none of them.
    let containing = kb
        .vendors
        .iter()
        .filter(|v| words_found(&n, &kb.identifiers.name_key(&v.name)) == 1.0)
        .count();
    if containing > 1 {
        return Match::None(
            candidates,
            Some(format!(
                "{containing} catalogue entries have every word of the name: say which legal entity"
            )),
        );
    }
    if best - second < MARGIN {
        return Match::None(
            candidates,
            Some("the name fits several catalogue entries equally well".into()),
        );
    }
    // A company number that contradicts the catalogue's is not overruled by a similar name.
    if let (Some(num), Some(reg)) = (number, v.registration.as_deref()) {
        let d = digits(num);
        if !d.is_empty() && d != digits(reg) {
            return Match::None(
                candidates,
                Some(format!(
                    "the name fits `{}` but the company number differs from the catalogue's ({reg})",
                    v.id
                )),
            );
        }
    }
    Match::Taken(v, MatchHow::Name, best)
}

/// Names that are the same party when a list repeats a row: case and spacing aside only.
fn same_name_key(name: &str) -> String {
    name.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------------
// Writing

/// A YAML double-quoted string: whatever the text, it stays a string.
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe in a YAML comment: one line, printable.
fn comment_text(s: &str) -> String {
    clean_cell(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An id made from a name: lower case, ASCII, words joined by `-`.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        let t: &str = match c {
            'å' | 'ä' | 'à' | 'á' | 'â' => "a",
            'æ' => "ae",
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => "o",
            'ü' | 'ú' => "u",
            'é' | 'è' | 'ê' => "e",
            'ß' => "ss",
            'ń' | 'ñ' => "n",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        out.push_str(t);
    }
    let parts: Vec<&str> = out.split('-').filter(|p| !p.is_empty()).collect();
    let mut s = parts.join("-");
    s.truncate(48);
    s.trim_end_matches('-').to_string()
}

/// `base`, or `base-2`, `base-3`… when it is taken (or `controller`); taken from then on.
pub(crate) fn unique_id(base: &str, taken: &mut HashSet<String>) -> String {
    let base = if base.is_empty() {
        "subprocessor"
    } else {
        base
    };
    let mut id = base.to_string();
    let mut n = 2;
    while taken.contains(&id) || id == "controller" {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

fn list(codes: &[String]) -> String {
    let q: Vec<String> = codes.iter().map(|c| yaml_quote(c)).collect();
    format!("[{}]", q.join(", "))
}

/// Inserts `items` at the end of the top-level block `key:` of a YAML text (appended as a new
/// block when there is none), keeping every existing line as it was.
fn append_block(text: &str, key: &str, items: &[String], file: &str) -> Result<String, InputError> {
    if items.is_empty() {
        return Ok(text.to_string());
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let head = format!("{key}:");
    let start = lines.iter().position(|l| {
        l.starts_with(&head) && {
            let rest = l[head.len()..].trim();
            rest.is_empty() || rest.starts_with('#') || rest.starts_with('[')
        }
    });
    let render = |indent: &str| -> String {
        items
            .iter()
            .map(|item| {
                item.lines()
                    .map(|l| format!("{indent}{l}\n"))
                    .collect::<String>()
            })
            .collect()
    };
    let Some(start) = start else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&head);
        out.push('\n');
        out.push_str(&render("  "));
        return Ok(out);
    };
    let rest = lines[start][head.len()..].trim();
    if rest.starts_with('[') {
        if rest.starts_with("[]") {
            // `parties: []`: the empty list becomes a block.
            let mut out: String = lines[..start].concat();
            out.push_str(&head);
            out.push('\n');
            out.push_str(&render("  "));
            out.push_str(&lines[start + 1..].concat());
            return Ok(out);
        }
        return Err(diag(
            file,
            (start + 1, head.len() + 2),
            format!("`{key}` is written as a flow list ([…]) and cannot be added to"),
        )
        .expected(format!("`{key}:` followed by one `- ` item per line"))
        .hint("write the list one item per line, or import into a new model with --into")
        .into());
    }
    let mut end = start + 1;
    let mut last_content = start;
    let mut indent: Option<String> = None;
    while end < lines.len() {
        let l = lines[end];
        let t = l.trim_end_matches(['\n', '\r']);
        let top =
            !t.is_empty() && !t.starts_with(' ') && !t.starts_with('#') && !t.starts_with('-');
        if top {
            break;
        }
        if !t.trim().is_empty() && !t.starts_with('#') {
            last_content = end;
            if indent.is_none() && t.trim_start().starts_with("- ") {
                indent = Some(t[..t.len() - t.trim_start().len()].to_string());
            }
        }
        end += 1;
    }
    let indent = indent.unwrap_or_else(|| "  ".to_string());
    let mut out: String = lines[..=last_content].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&render(&indent));
    out.push_str(&lines[last_content + 1..].concat());
    Ok(out)
}

/// A country with where it came from and, when inferred, why.
type CountryGuess = (String, CountrySource, Option<String>);

/// What one row says, cleaned, with the countries the file points to.
struct RowFacts {
    name: String,
    number: Option<String>,
    service: Option<String>,
    formula_cells: Vec<String>,
    notes: Vec<String>,
    country: Option<CountryGuess>,
    locations: Vec<String>,
}

fn row_facts(
    raw: &RawRow,
    columns: &HeaderColumns,
    names: &CountryNames,
    kb: &Knowledge,
) -> RowFacts {
    let col = |c: Column| {
        columns
            .iter()
            .find(|(k, _, _)| *k == c)
            .map(|(_, i, h)| (*i, h.clone()))
    };
    let get = |c: Column| -> Option<String> {
        let (i, _) = col(c)?;
        let v = clean_cell(raw.cells.get(i)?).trim().to_string();
        (!v.is_empty()).then_some(v)
    };
    let mut formula_cells = Vec::new();
    for (_, i, h) in columns {
        if raw.cells.get(*i).is_some_and(|c| formula_like(c)) {
            formula_cells.push(h.clone());
        }
    }
    let name = get(Column::Name).unwrap_or_default();
    let number = get(Column::CompanyNumber);
    let address = get(Column::Address);
    let service = get(Column::Service);
    let location = get(Column::Location);
    let mut notes = Vec::new();
    if !formula_cells.is_empty() {
        notes.push(format!(
            "{} start like a spreadsheet formula: kept as quoted text, never a formula",
            formula_cells.join(", ")
        ));
    }
    // What the file says about countries, whether or not the row is in the catalogue.
    let mut country: Option<CountryGuess> = None;
    if let Some(c) = get(Column::Country) {
        match names.of_cell(&c, kb) {
            Some(code) => country = Some((code, CountrySource::CountryColumn, None)),
            None => notes.push(format!(
                "the country `{}` is not one the knowledge knows",
                comment_text(&c)
            )),
        }
    }
    if country.is_none() {
        if let Some((code, why)) = number.as_deref().and_then(|n| country_from_number(n, kb)) {
            country = Some((code, CountrySource::CompanyNumber, Some(why)));
        }
    }
    if country.is_none() {
        if let Some(code) = address.as_deref().and_then(|a| names.of_address(a)) {
            country = Some((
                code,
                CountrySource::Address,
                Some("the address names it".into()),
            ));
        }
    }
    let mut locations = location
        .as_deref()
        .map(|l| names.all_in(l))
        .unwrap_or_default();
    if country.is_none() {
        if let Some(first) = locations.first() {
            country = Some((
                first.clone(),
                CountrySource::Location,
                Some("the location column names it first".into()),
            ));
        }
    }
    if locations.is_empty() && col(Column::Location).is_none() {
        if let Some(a) = address.as_deref() {
            locations = names.all_in(a);
        }
    }
    RowFacts {
        name,
        number,
        service,
        formula_cells,
        notes,
        country,
        locations,
    }
}

/// The model the parties go into, checked before the list is read.
struct Target {
    /// The base model's file name and text.
    base: Option<(String, String)>,
    /// Party ids in use.
    taken: HashSet<String>,
    /// The party id of each vendor already in the model.
    by_vendor: HashMap<String, String>,
    /// Flows already in the model, as (from, to).
    flows_have: HashSet<(String, String)>,
    /// The party id of each name already in the model (normalized), for rows the catalogue
    /// lacks.
    by_name: HashMap<String, String>,
    /// For a new model: the processor's vendor id.
    new_processor: Option<String>,
}

/// The command line's files: the base model's name and text, and where to write.
#[allow(clippy::type_complexity)]
fn files(opts: &ImportOptions) -> Result<(Option<(String, String)>, PathBuf), InputError> {
    // The base model first: a bad --model or --under is reported before the list is read.
    let base = match &opts.model {
        Some(p) => {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|e| {
                InputError::from(
                    diag(&name, (1, 1), format!("cannot read the model: {e}"))
                        .expected("a YAML model file (UTF-8)")
                        .hint("check the path given with --model"),
                )
            })?;
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
            {
                return Err(diag(&name, (1, 1), "the model is JSON; import adds YAML")
                    .expected("a YAML model")
                    .hint("convert the model to YAML, or import into a new model with --into")
                    .into());
            }
            Some((name, text))
        }
        None => None,
    };
    let out_path: PathBuf = match (&opts.destination, &opts.model) {
        (Destination::InPlace, Some(m)) => m.clone(),
        (Destination::InPlace, None) => return Err(diag(
            "<arguments>",
            (1, 1),
            "--in-place needs --model FILE",
        )
        .hint("give the model to add to with --model, or write a new one with --into NEW.yaml")
        .into()),
        (Destination::File { path, must_be_new }, _) => {
            if *must_be_new && path.exists() {
                return Err(diag(
                    &path.display().to_string(),
                    (1, 1),
                    "--into names a file that already exists",
                )
                .expected("the path of a new model file")
                .hint("add to an existing model with --model FILE --in-place, or -o OUT")
                .into());
            }
            path.clone()
        }
    };

    Ok((base, out_path))
}

/// What the import adds to: the processor, the base model (name and text) if any, the
/// controller's country for a new model, and the name the result is reported under.
#[derive(Debug, Clone)]
pub struct ImportTarget {
    pub under: String,
    pub base: Option<(String, String)>,
    pub controller_country: Option<String>,
    pub out_name: String,
}

fn prepare(opts: &ImportTarget, kb: &Knowledge) -> Result<Target, InputError> {
    // The base model first: a bad base or --under is reported before the list is read.
    let base = match &opts.base {
        Some((name, text)) => {
            let model = crate::load_model(text, name, kb)?;
            Some((name.clone(), text.clone(), model))
        }
        None => None,
    };
    let mut taken: HashSet<String> = HashSet::new();
    let mut by_vendor: HashMap<String, String> = HashMap::new();
    let mut flows_have: HashSet<(String, String)> = HashSet::new();
    let mut by_name: HashMap<String, String> = HashMap::new();
    let mut new_processor: Option<String> = None;
    if let Some((name, _, model)) = &base {
        for p in &model.parties {
            taken.insert(p.id.clone());
            if let Some(v) = &p.vendor {
                by_vendor.entry(v.clone()).or_insert(p.id.clone());
            }
            by_name
                .entry(same_name_key(&p.name.value))
                .or_insert(p.id.clone());
        }
        for f in &model.flows {
            flows_have.insert((f.from.clone(), f.to.clone()));
        }
        if !taken.contains(&opts.under) {
            let ids: Vec<&str> = model.parties.iter().map(|p| p.id.as_str()).collect();
            return Err(diag(
                name,
                (1, 1),
                format!("--under `{}` is not a party of the model", opts.under),
            )
            .expected("the id of the processor whose sub-processors these are")
            .hint(known_hint(&opts.under, ids))
            .into());
        }
    } else {
        let Some(v) = kb.vendors.get(&opts.under) else {
            return Err(diag(
                "<arguments>",
                (1, 1),
                format!("--under `{}` is not a vendor catalogue id", opts.under),
            )
            .expected(
                "for a new model: the catalogue id of the processor (`tia knowledge list vendors`)",
            )
            .hint(format!(
                "{}; or start from a model with --model BASE.yaml",
                known_hint(&opts.under, kb.vendors.ids())
            ))
            .into());
        };
        if opts.controller_country.is_none() {
            return Err(diag(
                "<arguments>",
                (1, 1),
                "a new model without --model needs the controller's country",
            )
            .expected("--controller-country SE (or DK, …)")
            .hint("or start from an existing model with --model BASE.yaml")
            .into());
        }
        taken.insert(opts.under.clone());
        by_vendor.insert(v.id.clone(), opts.under.clone());
        new_processor = Some(v.id.clone());
    }
    if let Some(cc) = &opts.controller_country {
        if !kb.jurisdictions.contains(cc) {
            return Err(diag(
                "<arguments>",
                (1, 1),
                format!("unknown country code `{cc}`"),
            )
            .expected("an ISO 3166-1 alpha-2 code such as SE or DK")
            .hint(known_hint(cc, kb.jurisdictions.ids()))
            .into());
        }
    }

    Ok(Target {
        base: base.map(|(name, text, _)| (name, text)),
        taken,
        by_vendor,
        flows_have,
        by_name,
        new_processor,
    })
}

/// Reads the list, matches it, writes the model; the model written is validated first and
/// nothing is written when anything is wrong.
pub fn import_subprocessors(
    opts: &ImportOptions,
    kb: &Knowledge,
) -> Result<ImportReport, InputError> {
    let (base, out_path) = files(opts)?;
    let target = ImportTarget {
        under: opts.under.clone(),
        base,
        controller_country: opts.controller_country.clone(),
        out_name: out_path.display().to_string(),
    };
    // The base model and --under are checked before the list is read.
    prepare(&target, kb)?;
    let file = opts.file.display().to_string();
    let list = ListInput {
        bytes: read_bytes(&opts.file, &file)?,
        name: file.clone(),
        file_name: opts
            .file
            .file_name()
            .map_or(file.clone(), |n| n.to_string_lossy().to_string()),
        sheet: opts.sheet.clone(),
    };
    let (report, text) = import_text(list, &target, kb)?;
    crate::typst::write_atomically(&out_path, text.as_bytes()).map_err(|e| {
        InputError::from(
            diag(
                &target.out_name,
                (1, 1),
                format!("cannot write the model: {e}"),
            )
            .hint("check that the folder exists and is writable"),
        )
    })?;
    Ok(report)
}

/// A sub-processor list already read: its bytes (CSV or XLSX), the name errors give it, its
/// file name (cited in the model's comments) and the sheet to read.
#[derive(Debug, Clone)]
pub struct ListInput {
    pub bytes: Vec<u8>,
    pub name: String,
    pub file_name: String,
    pub sheet: Option<String>,
}

/// The import without files: the list read, matched and added to the base model's text (or
/// a new model's), and the model text validated. The command line and the browser both use it;
/// nothing is written here.
pub fn import_text(
    input: ListInput,
    opts: &ImportTarget,
    kb: &Knowledge,
) -> Result<(ImportReport, String), InputError> {
    let file = input.name.clone();
    let file_name = input.file_name.clone();
    let Target {
        base,
        mut taken,
        mut by_vendor,
        mut flows_have,
        mut by_name,
        new_processor,
    } = prepare(opts, kb)?;
    let out_name = opts.out_name.clone();
    let table = read_table(input.bytes, input.sheet.as_deref(), &file)?;
    let names = CountryNames::new(kb);
    let mut rows = Vec::new();
    let mut parties_text: Vec<String> = Vec::new();
    let mut flows_text: Vec<String> = Vec::new();
    let mut counts = Counts {
        empty_rows_skipped: table.empty_skipped,
        ..Counts::default()
    };
    for raw in &table.rows {
        let source = format!("{file_name}:{}", raw.at);
        let RowFacts {
            name,
            number,
            service,
            formula_cells,
            mut notes,
            country,
            locations,
        } = row_facts(raw, &table.columns, &names, kb);
        // The report of this row as read (the closure hands over what it owns once).
        let read = || {
            RowReport::read(
                raw.at,
                source.clone(),
                name.clone(),
                number.clone(),
                locations.clone(),
                formula_cells.clone(),
            )
        };
        if name.is_empty() {
            counts.not_written += 1;
            rows.push(read().country(country).outcome(
                RowStatus::NotWritten,
                None,
                vec!["the row has no name: confirm what it lists and add it by hand".into()],
            ));
            continue;
        }
        let flow_for = |to: &str, note: &str| -> String {
            format!(
                "# {note}\n- from: {}\n  to: {}\n  access: cleartext  # assumed: the list does not say what the sub-processor can read; confirm\n",
                yaml_quote(&opts.under),
                yaml_quote(to)
            )
        };
        match match_row(&name, number.as_deref(), kb) {
            Match::Taken(v, how, score) => {
                counts.matched += 1;
                if let Some((code, src, _)) = &country {
                    if *code != v.incorporated && *src != CountrySource::Location {
                        notes.push(format!(
                            "the file points to {code} but the catalogue has `{}` incorporated in {}: check the row",
                            v.id, v.incorporated
                        ));
                    }
                }
                let how_words = match how {
                    MatchHow::Lei => "LEI".to_string(),
                    MatchHow::CompanyNumber => "company number".to_string(),
                    MatchHow::Name => format!("name, score {:.2}", score),
                };
                let extra: Vec<String> = locations
                    .iter()
                    .filter(|l| !v.locations.contains(l))
                    .cloned()
                    .collect();
                let party = if let Some(existing) = by_vendor.get(&v.id) {
                    notes.push(format!("already a party of the model as `{existing}`"));
                    existing.clone()
                } else {
                    let id = unique_id(&slug(&v.id), &mut taken);
                    let mut item = format!(
                        "# imported from {}: catalogue `{}` by {how_words}\n- id: {}\n  vendor: {}\n  role: subprocessor\n",
                        comment_text(&source),
                        v.id,
                        yaml_quote(&id),
                        yaml_quote(&v.id)
                    );
                    if v.locations.is_empty() && extra.is_empty() {
                        item.push_str(&format!(
                            "  locations: {}  # guessed: the catalogue gives no locations, so its country of incorporation; confirm\n",
                            list(std::slice::from_ref(&v.incorporated))
                        ));
                        notes.push(format!(
                            "the catalogue gives no locations for `{}`: {} (its country of incorporation) written as a guess",
                            v.id, v.incorporated
                        ));
                    }
                    if !extra.is_empty() {
                        let mut all = v.locations.clone();
                        all.extend(extra.iter().cloned());
                        item.push_str(&format!(
                            "  locations: {}  # the catalogue's plus {} named in the list; confirm\n",
                            list(&all),
                            extra.join(", ")
                        ));
                        notes.push(format!(
                            "the list adds locations {} to the catalogue's",
                            extra.join(", ")
                        ));
                    }
                    if let Some(s) = &service {
                        item.push_str(&format!("  service: {}\n", yaml_quote(s)));
                    }
                    parties_text.push(item);
                    counts.parties_added += 1;
                    by_vendor.insert(v.id.clone(), id.clone());
                    id
                };
                if flows_have.insert((opts.under.clone(), party.clone())) {
                    flows_text.push(flow_for(
                        &party,
                        &format!("imported from {}", comment_text(&source)),
                    ));
                    counts.flows_added += 1;
                }
                rows.push(RowReport {
                    vendor: Some(v.id.clone()),
                    how: Some(how),
                    score: Some(round2(score)),
                    country: Some(v.incorporated.clone()),
                    country_from: Some(CountrySource::Catalogue),
                    ..read().outcome(RowStatus::Matched, Some(party), notes)
                });
            }
            Match::None(candidates, why) => {
                if let Some(w) = why {
                    notes.push(w);
                }
                let guessed = country
                    .as_ref()
                    .is_some_and(|c| c.1 != CountrySource::CountryColumn);
                let Some((code, src, reason)) = country else {
                    counts.not_written += 1;
                    notes.push("not in the catalogue and no country known: not written; confirm the entity and its country, then add it (or a catalogue entry)".into());
                    rows.push(RowReport {
                        candidates,
                        ..read().outcome(RowStatus::NotWritten, None, notes)
                    });
                    continue;
                };
                counts.unmatched += 1;
                if guessed {
                    counts.guessed += 1;
                }
                let key = same_name_key(&name);
                if let Some(existing) = by_name.get(&key) {
                    notes.push(format!(
                        "the same name as party `{existing}`: not added again"
                    ));
                    let existing = existing.clone();
                    if flows_have.insert((opts.under.clone(), existing.clone())) {
                        flows_text.push(flow_for(
                            &existing,
                            &format!("imported from {}", comment_text(&source)),
                        ));
                        counts.flows_added += 1;
                    }
                    rows.push(RowReport {
                        candidates,
                        ..read().country(Some((code, src, reason))).outcome(
                            RowStatus::Unmatched,
                            Some(existing),
                            notes,
                        )
                    });
                    continue;
                }
                let id = unique_id(&slug(&name), &mut taken);
                by_name.insert(key, id.clone());
                let mut item = format!(
                    "# imported from {}: not in the vendor catalogue, owners unknown; confirm\n",
                    comment_text(&source)
                );
                if let Some(r) = &reason {
                    item.push_str(&format!("# country guessed from {r}, confirm\n"));
                }
                item.push_str(&format!(
                    "- id: {}\n  name: {}\n  role: subprocessor\n  incorporated: {}\n",
                    yaml_quote(&id),
                    yaml_quote(&name),
                    yaml_quote(&code)
                ));
                if locations.is_empty() {
                    item.push_str(&format!(
                        "  locations: {}  # guessed: the country of incorporation; confirm where it processes the data\n",
                        list(std::slice::from_ref(&code))
                    ));
                } else {
                    item.push_str(&format!(
                        "  locations: {}  # named in the list; confirm\n",
                        list(&locations)
                    ));
                }
                if let Some(s) = &service {
                    item.push_str(&format!("  service: {}\n", yaml_quote(s)));
                }
                parties_text.push(item);
                counts.parties_added += 1;
                if flows_have.insert((opts.under.clone(), id.clone())) {
                    flows_text.push(flow_for(
                        &id,
                        &format!("imported from {}", comment_text(&source)),
                    ));
                    counts.flows_added += 1;
                }
                rows.push(RowReport {
                    candidates,
                    ..read().country(Some((code, src, reason))).outcome(
                        RowStatus::Unmatched,
                        Some(id),
                        notes,
                    )
                });
            }
        }
    }
    counts.rows = rows.len();
    counts.flagged = rows.iter().filter(|r| !r.formula_cells.is_empty()).count();

    let text = match &base {
        Some((name, text)) => {
            let t = append_block(text, "parties", &parties_text, name)?;
            append_block(&t, "flows", &flows_text, name)?
        }
        None => new_model_text(
            &file_name,
            &opts.under,
            new_processor.as_deref().unwrap_or(&opts.under),
            opts.controller_country.as_deref().unwrap_or_default(),
            if kb.data_categories.contains("identity") {
                "identity"
            } else {
                kb.data_categories.ids().next().unwrap_or_default()
            },
            &parties_text,
            &flows_text,
        ),
    };
    crate::load_model(&text, &out_name, kb).map_err(|mut e| {
        e.diagnostics.insert(
            0,
            diag(
                &out_name,
                (1, 1),
                "the imported model does not validate; nothing was written",
            )
            .hint("please report this with the list that caused it"),
        );
        e
    })?;
    let report = ImportReport {
        file,
        format: table.format,
        delimiter: table.delimiter.map(|d| match d {
            b'\t' => "tab".to_string(),
            d => (d as char).to_string(),
        }),
        sheet: table.sheet,
        header_row: table.header_at,
        columns: table
            .columns
            .iter()
            .map(|(c, i, h)| ColumnReport {
                column: *c,
                header: h.clone(),
                position: i + 1,
            })
            .collect(),
        under: opts.under.clone(),
        written: out_name,
        counts,
        rows,
    };
    Ok((report, text))
}

fn new_model_text(
    file_name: &str,
    under: &str,
    vendor: &str,
    country: &str,
    category: &str,
    parties: &[String],
    flows: &[String],
) -> String {
    let mut t = format!(
        "# yaml-language-server: $schema=schema/model.schema.json\n\
         # Created by `tia import subprocessors` from {}.\n\
         # PLACEHOLDERS: the title, the controller's name, the purpose, the data subjects and\n\
         # categories below are not from the list. Replace every \"TO CONFIRM\" before deciding.\n\
         assessment:\n  title: {}\ncontroller:\n  name: \"TO CONFIRM: the controller\"\n  country: {}\n\
         processing:\n  purpose: \"TO CONFIRM: the purpose of the processing\"\n  data_subjects: []  # TO CONFIRM (`tia knowledge list subjects`)\n  data_categories: [{}]  # PLACEHOLDER, TO CONFIRM (`tia knowledge list categories`)\n\
         parties:\n  - id: {}\n    vendor: {}\n    role: processor\n",
        comment_text(file_name),
        yaml_quote(&format!("TO CONFIRM: sub-processors imported from {file_name}")),
        yaml_quote(country),
        yaml_quote(category),
        yaml_quote(under),
        yaml_quote(vendor),
    );
    for p in parties {
        for l in p.lines() {
            t.push_str(&format!("  {l}\n"));
        }
    }
    t.push_str(&format!(
        "flows:\n  - from: controller\n    to: {}\n    access: cleartext  # TO CONFIRM\n",
        yaml_quote(under)
    ));
    for f in flows {
        for l in f.lines() {
            t.push_str(&format!("  {l}\n"));
        }
    }
    t
}

/// The report in words: matched, guessed countries, rows to confirm, flagged cells.
pub fn render_text(r: &ImportReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let how = match (&r.delimiter, &r.sheet) {
        (Some(d), _) => format!("CSV, separated by {d}"),
        (_, Some(sh)) => format!("XLSX, sheet `{sh}`"),
        _ => r.format.to_string(),
    };
    let _ = writeln!(
        s,
        "read {} ({how}; header on row {}): {} rows, {} empty rows skipped",
        r.file, r.header_row, r.counts.rows, r.counts.empty_rows_skipped
    );
    let matched: Vec<&RowReport> = r
        .rows
        .iter()
        .filter(|x| x.status == RowStatus::Matched)
        .collect();
    let _ = writeln!(s, "\nmatched to the catalogue ({}):", matched.len());
    for x in &matched {
        let how = match x.how {
            Some(MatchHow::Lei) => "LEI".into(),
            Some(MatchHow::CompanyNumber) => "company number".into(),
            Some(MatchHow::Name) => format!("name, score {:.2}", x.score.unwrap_or(0.0)),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "  {}  {} → {} ({how}){}",
            x.source,
            comment_text(&x.name),
            x.vendor.as_deref().unwrap_or(""),
            x.party
                .as_deref()
                .map(|p| format!(", party `{p}`"))
                .unwrap_or_default()
        );
    }
    let guessed: Vec<&RowReport> = r
        .rows
        .iter()
        .filter(|x| x.country_guessed && x.status == RowStatus::Unmatched)
        .collect();
    let _ = writeln!(s, "\ncountries guessed, confirm ({}):", guessed.len());
    for x in &guessed {
        let _ = writeln!(
            s,
            "  {}  {}: {} from {}",
            x.source,
            comment_text(&x.name),
            x.country.as_deref().unwrap_or(""),
            x.country_reason.as_deref().unwrap_or("")
        );
    }
    let open: Vec<&RowReport> = r
        .rows
        .iter()
        .filter(|x| x.status != RowStatus::Matched)
        .collect();
    let _ = writeln!(s, "\nnot in the catalogue, confirm ({}):", open.len());
    for x in &open {
        let what = match x.status {
            RowStatus::Unmatched => format!(
                "written as party `{}` ({})",
                x.party.as_deref().unwrap_or(""),
                x.country.as_deref().unwrap_or("")
            ),
            _ => "NOT written: no country known".to_string(),
        };
        let name = if x.name.is_empty() {
            "(no name)".to_string()
        } else {
            comment_text(&x.name)
        };
        let _ = writeln!(s, "  {}  {name}: {what}", x.source);
        for c in &x.candidates {
            let _ = writeln!(
                s,
                "      candidate: {} ({}), score {:.2}",
                c.vendor, c.name, c.score
            );
        }
    }
    let notes: Vec<(&RowReport, &String)> = r
        .rows
        .iter()
        .flat_map(|x| x.notes.iter().map(move |n| (x, n)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(s, "\nnotes:");
        for (x, n) in notes {
            let _ = writeln!(s, "  {}  {n}", x.source);
        }
    }
    let _ = writeln!(
        s,
        "\nwrote {}: {} parties and {} flows under `{}` (flows assumed cleartext; confirm)",
        r.written, r.counts.parties_added, r.counts.flows_added, r.under
    );
    s
}

/// Rows to confirm, as a set of source references (for tests and callers).
pub fn to_confirm(r: &ImportReport) -> BTreeSet<String> {
    r.rows
        .iter()
        .filter(|x| x.status != RowStatus::Matched || x.country_guessed)
        .map(|x| x.source.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_score_by_their_words() {
        assert_eq!(name_score("compaya", "compaya"), 1.0);
        assert!(name_score("microsoft ireland", "microsoft ireland operations") >= TAKE_SCORE);
        assert!(name_score("microsoft ireland", "microsoft india") < CANDIDATE_SCORE + 0.1);
    }

    #[test]
    fn headers_in_three_languages_are_recognised() {
        assert_eq!(header_column("Underdatabehandler"), Some(Column::Name));
        assert_eq!(header_column("Lokation(er)"), Some(Column::Location));
        assert_eq!(header_column("Behandlingssted"), Some(Column::Location));
        assert_eq!(header_column("Behandling"), Some(Column::Service));
        assert_eq!(header_column("Org.nr"), Some(Column::CompanyNumber));
        assert_eq!(header_column("CVR-nr."), Some(Column::CompanyNumber));
        assert_eq!(header_column("Underbiträde"), Some(Column::Name));
        assert_eq!(header_column("Adress"), Some(Column::Address));
        assert_eq!(header_column("Land"), Some(Column::Country));
        assert_eq!(header_column("Ydelse"), Some(Column::Service));
    }

    #[test]
    fn formula_starts_are_flagged() {
        for c in [
            "=cmd|' /C calc'!A0",
            "@SUM(A1:A2)",
            "+1",
            "-1",
            "\tx",
            " =1",
        ] {
            assert!(formula_like(c), "{c}");
        }
        assert!(!formula_like("Elastx AB"));
    }

    #[test]
    fn quoted_yaml_keeps_any_text_a_string() {
        assert_eq!(yaml_quote("=cmd|' /C calc'!A0"), "\"=cmd|' /C calc'!A0\"");
        assert_eq!(yaml_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn appended_parties_keep_the_existing_text() {
        let text = "parties:\n  - id: a\n    role: processor\n# c\nflows:\n  - from: controller\n    to: a\n";
        let out = append_block(
            text,
            "parties",
            &["- id: b\n  role: subprocessor\n".into()],
            "m",
        )
        .unwrap();
        assert_eq!(
            out,
            "parties:\n  - id: a\n    role: processor\n  - id: b\n    role: subprocessor\n# c\nflows:\n  - from: controller\n    to: a\n"
        );
    }
}
