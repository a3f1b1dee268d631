//! The `tia` command line: parse arguments, call the library, present the result.
//! Exit codes: 0 assessed (whatever the verdict), 1 internal error, 2 bad input or
//! configuration, 3 the verdict reached `--fail-on`, 4 typst missing or failed.
//! `-` stands for standard input or output wherever a file is read or written.

use chrono::NaiveDate;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tia::{model::Lang, AssessOptions, InputError, Verdict};

#[derive(Parser)]
#[command(
    name = "tia",
    version,
    about = "Transfer impact assessment: may we hand our personal data to this cloud service?"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Knowledge folder to use instead of the embedded one (also TIA_KNOWLEDGE).
    #[arg(long, global = true, env = "TIA_KNOWLEDGE", value_name = "DIR")]
    knowledge: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Write a first model from a few answers (asked at a terminal, or given as flags), checked
    /// against the knowledge.
    Init(InitArgs),
    /// Assess a model file: verdict, findings with reasons, options with residual verdicts.
    Assess(AssessArgs),
    /// Render the decision memo (PDF/A and PDF/UA via typst, or its data with --data).
    Memo(DocArgs),
    /// Render the prior-consultation pack (GDPR art. 36(3)) for the controller's authority.
    Consult(DocArgs),
    /// Compare two versions of a model (e.g. a sub-processor change): what changed, the old and
    /// new verdict, and the last day to object.
    Diff(DiffArgs),
    /// Compare several models of the same need (e.g. vendors in a procurement) under one
    /// policy profile: a ranked table and a text per vendor.
    Compare(CompareArgs),
    /// Run the assessment register: web UI and JSON API over SQLite (default) or PostgreSQL.
    Serve(ServeArgs),
    /// Print an argon2 hash of a password read from standard input (for the credentials file),
    /// or with --token the SHA-256 of an API token.
    HashPassword {
        /// Hash an API token (SHA-256) instead of a password.
        #[arg(long)]
        token: bool,
    },
    /// Manage the register's users (stored in its database).
    #[command(subcommand)]
    User(UserCommand),
    /// Print the JSON Schema of the model format.
    Schema,
    /// Write the bundled document templates (Typst) into a folder, to adapt them to an
    /// organisation's letterhead and use them with --template.
    Templates {
        /// The folder to write to (created; existing template files are not overwritten).
        dir: PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `tia man | man -l -`).
    Man,
    /// Work with the knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: KnowledgeCommand,
    },
    /// Import into a model from a vendor's paperwork.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Judge every system of the register (latest versions) or every model in a folder again
    /// under today's knowledge, and under what-if scenarios: which are affected, why, and what
    /// is due by when.
    Portfolio(PortfolioArgs),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("systems").required(true).args(["db", "dir"])))]
struct PortfolioArgs {
    /// The register's database (as for `tia serve`: a SQLite file or a postgres:// URL).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// A folder of model files instead of a register.
    #[arg(long, value_name = "FOLDER")]
    dir: Option<PathBuf>,
    /// Judge the facts as they stand on this date (default: today, or the latest --from).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// A what-if scenario: an id from knowledge/scenarios (dpf-invalid, fisa-702-lapse…) or a
    /// scenario file (repeatable; all apply together).
    #[arg(long = "what-if", value_name = "ID|FILE")]
    what_if: Vec<String>,
    /// The first day the scenarios hold (overrides each scenario's own).
    #[arg(long, value_name = "DATE", requires = "what_if")]
    from: Option<NaiveDate>,
    /// Record each register system's re-assessment as an event in its history (append-only;
    /// not with --what-if: a scenario is not the law).
    #[arg(long, requires = "db", conflicts_with = "what_if")]
    record: bool,
    /// Who records (the events' actor).
    #[arg(long, default_value = "tia portfolio")]
    actor: String,
    #[arg(long, value_enum, default_value = "text")]
    format: PortfolioFormat,
    /// Write here instead of standard output (required for xlsx at a terminal).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Language of scenario and option titles.
    #[arg(long, value_enum, default_value = "sv")]
    lang: LangArg,
    /// Systems judged at once (default: the number of cores, at most 16).
    #[arg(long)]
    workers: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum PortfolioFormat {
    Text,
    Json,
    Csv,
    Xlsx,
    /// The portfolio report for the board (needs typst).
    Pdf,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Read a sub-processor list (CSV or XLSX; headers in sv, da or en), match each row to the
    /// vendor catalogue and write parties and flows under a processor; rows it could not match
    /// and countries it guessed are listed for you to confirm.
    Subprocessors(tia::import::SubprocessorsArgs),
}

#[derive(Subcommand)]
enum KnowledgeCommand {
    /// Validate knowledge/ (references, sources, rules) and list stale entries.
    Check {
        /// Entries older than this many days are listed as stale (default: meta.yaml's).
        #[arg(long)]
        max_age_days: Option<i64>,
        /// The date to measure age from (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Exit with code 3 when any entry is stale.
        #[arg(long)]
        fail_on_stale: bool,
        /// Vendors whose ownership was last stated more than this many days ago are listed
        /// (a report: it never fails the check).
        #[arg(long, default_value_t = 365)]
        ownership_max_age_days: i64,
    },
    /// List the ids a model may use: countries, categories, subjects, measures, vendors,
    /// profiles or laws, with their names.
    List {
        #[arg(value_enum)]
        kind: ListKind,
        /// Only entries whose id, name or detail contains this (ignoring case).
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Language of the names.
        #[arg(long, value_enum, default_value = "sv")]
        lang: LangArg,
    },
    /// Show one entry in full (any kind: vendor, law, source, rule, measure, country code…).
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write or update vendor entries (legal name, jurisdiction, LEI, direct and ultimate
    /// parents up the chain) from GLEIF's golden copy CSV files, streamed.
    ImportGleif(ImportGleifArgs),
    /// List the entries that changed between two knowledge folders (added, removed, and
    /// changed with the fields that changed), so a register can tell which assessments a new
    /// knowledge version may affect.
    Diff(KnowledgeDiffArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum ListKind {
    Countries,
    Categories,
    Subjects,
    Measures,
    Vendors,
    Profiles,
    Laws,
}

impl ListKind {
    fn kind(self) -> tia::knowledge::catalog::Kind {
        use tia::knowledge::catalog::Kind;
        match self {
            ListKind::Countries => Kind::Countries,
            ListKind::Categories => Kind::Categories,
            ListKind::Subjects => Kind::Subjects,
            ListKind::Measures => Kind::Measures,
            ListKind::Vendors => Kind::Vendors,
            ListKind::Profiles => Kind::Profiles,
            ListKind::Laws => Kind::Laws,
        }
    }
}

#[derive(Args)]
struct KnowledgeDiffArgs {
    /// The older knowledge folder, laid out like knowledge/, or `git:REV` for the knowledge/
    /// of a git revision (or give it with --from).
    #[arg(
        value_name = "OLD",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    old: Option<PathBuf>,
    /// The older knowledge folder.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// The newer knowledge folder or `git:REV` (default: --knowledge, else the embedded
    /// knowledge).
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Args)]
struct ImportGleifArgs {
    /// Level 1 LEI-CDF golden copy, unzipped CSV (…-gleif-goldencopy-lei2-golden-copy.csv).
    #[arg(long, value_name = "CSV")]
    level1: PathBuf,
    /// Level 2 relationship records (RR-CDF) golden copy, unzipped CSV.
    #[arg(long, value_name = "CSV")]
    rr: PathBuf,
    /// Level 2 reporting exceptions golden copy, unzipped CSV.
    #[arg(long, value_name = "CSV")]
    repex: PathBuf,
    /// An entity to import, by LEI (repeatable).
    #[arg(long = "lei", value_name = "LEI")]
    leis: Vec<String>,
    /// An entity to import, by its legal name as GLEIF has it (repeatable).
    #[arg(long = "name", value_name = "NAME")]
    names: Vec<String>,
    /// A file with one LEI or legal name a line.
    #[arg(long, value_name = "FILE")]
    list: Option<PathBuf>,
    /// The vendor file to write or update (default: <--knowledge>/vendors/gleif.yaml).
    #[arg(long, value_name = "FILE")]
    into: Option<PathBuf>,
    /// When the golden copy was published, UTC (default: from the Level 1 file's name).
    #[arg(long, value_name = "YYYY-MM-DDTHH:MM")]
    published: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    NotAcceptable,
    AcceptableWithMeasures,
}

#[derive(Args)]
struct AssessArgs {
    /// The model file (YAML or JSON).
    file: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    judging: Judging,
    /// Exit with code 3 when the verdict is this or worse.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
}

#[derive(Args)]
struct Judging {
    /// Policy profile id (default: the model's, else the one the controller's authority sets
    /// for its kind: se-public-sector, dk-public-sector, eu-institution or gdpr-baseline).
    #[arg(long)]
    policy: Option<String>,
    /// Judge the facts as they stood on this date (YYYY-MM-DD; default today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Language of the output (default: the model's) and of the error messages for a model
    /// that cannot be read (default: TIA_LANG, else en).
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
}

impl Judging {
    fn options(&self) -> AssessOptions {
        AssessOptions {
            policy: self.policy.clone(),
            as_of: self.as_of,
            lang: self.lang.map(LangArg::lang),
            today: None,
        }
    }
}

#[derive(Args)]
struct Output {
    /// Write the PDF here (default: the model file's name with .pdf, in the current folder,
    /// unless only --data is given).
    #[arg(short, long, value_name = "PDF")]
    output: Option<PathBuf>,
    /// Write the document's data (JSON, the format the templates read; docs/document-data.md)
    /// here. Needs no typst.
    #[arg(long, value_name = "JSON")]
    data: Option<PathBuf>,
    /// Lay the document out with the templates in this folder (an organisation's letterhead,
    /// logo, colours) instead of the bundled ones; `tia templates DIR` writes those to start
    /// from. Files the folder lacks come from the bundled set.
    #[arg(long, value_name = "DIR", env = "TIA_TEMPLATE_DIR")]
    template: Option<PathBuf>,
}

/// How `compare` and `diff` give their result: the data as JSON, or a rendered PDF.
#[derive(Args)]
struct Emit {
    /// pdf (via typst) or json (to -o, else standard output).
    #[arg(long, value_enum, default_value = "pdf")]
    format: DocFormat,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
struct DocArgs {
    /// The model file (YAML or JSON).
    file: PathBuf,
    #[command(flatten)]
    judging: Judging,
    #[command(flatten)]
    out: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum DocFormat {
    Pdf,
    Json,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is asked for twice without echo on a terminal, or read as one
    /// line from standard input (`printf '%s\n' "$PW" | tia user add …`); never from the
    /// command line.
    Add {
        /// The user name to log in with.
        name: String,
        /// reader, editor, approver or admin.
        #[arg(long, default_value = "editor")]
        role: String,
        /// The register's database (as for `tia serve`).
        #[arg(long, env = "TIA_DB", default_value = "sqlite://tia.db")]
        db: String,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Database: a SQLite file (created and migrated on first start) or a postgres:// URL.
    #[arg(long, env = "TIA_DB", default_value = "sqlite://tia.db")]
    db: String,
    /// Address to listen on.
    #[arg(long, env = "TIA_ADDR", default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Credentials file (YAML: users with argon2 hashes, API tokens); see the README.
    #[arg(long, env = "TIA_AUTH_FILE", value_name = "FILE")]
    auth: Option<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, env = "TIA_BODY_LIMIT", default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Memo renders at once (default: the number of cores); the rest wait.
    #[arg(long, env = "TIA_RENDER_SLOTS")]
    render_slots: Option<usize>,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, env = "TIA_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a memo render may take before typst is stopped.
    #[arg(long, env = "TIA_RENDER_TIMEOUT", default_value_t = 60)]
    render_timeout: u64,
    /// Mark the session cookie Secure (when a TLS proxy is in front).
    #[arg(long, env = "TIA_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Log as JSON lines instead of text (level from TIA_LOG, default info).
    #[arg(long, env = "TIA_LOG_JSON")]
    log_json: bool,
    /// Lay documents out with an organisation's own templates (see `tia templates`).
    #[arg(long, env = "TIA_TEMPLATE_DIR", value_name = "DIR")]
    template: Option<PathBuf>,
}

#[derive(Args)]
struct CompareArgs {
    /// The model files, one per alternative.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    judging: Judging,
    #[command(flatten)]
    emit: Emit,
}

#[derive(Args)]
struct DiffArgs {
    /// The earlier version of the model.
    old: PathBuf,
    /// The new version of the model.
    new: PathBuf,
    /// The day the processor gave notice of the change (YYYY-MM-DD).
    #[arg(long)]
    notice_date: Option<NaiveDate>,
    /// Days to object after the notice, overriding the DPA terms in the model.
    #[arg(long)]
    objection_days: Option<u32>,
    #[command(flatten)]
    judging: Judging,
    #[command(flatten)]
    emit: Emit,
}

#[derive(Args)]
struct InitArgs {
    /// Where to write the model (`-` for standard output).
    #[arg(default_value = "model.yaml")]
    out: PathBuf,
    /// The controller's name, e.g. "Exempel kommun".
    #[arg(long)]
    controller: Option<String>,
    /// Its country, as a code or a name (SE, Sverige, Danmark).
    #[arg(long)]
    country: Option<String>,
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// What the processing is for, in a sentence.
    #[arg(long)]
    purpose: Option<String>,
    /// Data subject categories, by id or name, comma-separated (`tia knowledge list subjects`).
    #[arg(long, value_delimiter = ',')]
    subjects: Vec<String>,
    /// Data categories, by id or name, comma-separated (`tia knowledge list categories`).
    #[arg(long, value_delimiter = ',')]
    categories: Vec<String>,
    /// How many people the data concern.
    #[arg(long)]
    subjects_count: Option<u64>,
    /// The processor: a catalogue id, an LEI, or a name (`tia knowledge list vendors`).
    #[arg(long)]
    processor: Option<String>,
    /// The processor's country of incorporation, when it is not in the catalogue.
    #[arg(long)]
    processor_country: Option<String>,
    /// What the processor does, in words.
    #[arg(long)]
    service: Option<String>,
    /// The model's title (default: controller – purpose).
    #[arg(long)]
    title: Option<String>,
    #[arg(long, value_enum, default_value = "sv")]
    lang: LangArg,
    /// Never ask; a missing answer is an error (the default when standard input is not a
    /// terminal).
    #[arg(long)]
    no_input: bool,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    PublicBody,
    Company,
    EuInstitution,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Sv,
    En,
    Da,
}

impl LangArg {
    fn lang(self) -> Lang {
        match self {
            LangArg::Sv => Lang::Sv,
            LangArg::En => Lang::En,
            LangArg::Da => Lang::Da,
        }
    }
}

impl Command {
    /// How a command that assesses models judges them, if it does.
    fn judging(&self) -> Option<&Judging> {
        match self {
            Command::Assess(a) => Some(&a.judging),
            Command::Memo(a) | Command::Consult(a) => Some(&a.judging),
            Command::Diff(a) => Some(&a.judging),
            Command::Compare(a) => Some(&a.judging),
            _ => None,
        }
    }
}

/// The language of diagnostics (bad input): the command's `--lang`, else `TIA_LANG` (sv, da or
/// en), else English.
fn diagnostics_lang(command: &Command) -> Lang {
    command
        .judging()
        .and_then(|j| j.lang)
        .map(LangArg::lang)
        .or_else(|| {
            std::env::var("TIA_LANG")
                .ok()
                .and_then(|l| Lang::from_code(l.trim()))
        })
        .unwrap_or(Lang::En)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let diag_lang = diagnostics_lang(&cli.command);
    if !matches!(cli.command, Command::Serve(_)) {
        // A closed pipe (`tia assess … | head -1`) ends the command quietly, as for any Unix
        // filter; the server keeps Rust's default and handles broken connections itself.
        #[cfg(unix)]
        // SAFETY: called once at start-up, before any thread is spawned.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Input(e)) => {
            eprintln!("{}", e.display(diag_lang));
            ExitCode::from(2)
        }
        Err(Failure::Config(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Typst(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(4)
        }
    }
}

enum Failure {
    Input(InputError),
    /// A bad argument or configuration the user can fix (an output path that cannot be
    /// written, a server setting): exit 2 like bad input.
    Config(anyhow::Error),
    Internal(anyhow::Error),
    /// typst is missing, failed or timed out: no PDF was written.
    Typst(tia::typst::TypstError),
}

impl From<tia::memo::RenderError> for Failure {
    fn from(e: tia::memo::RenderError) -> Self {
        match e {
            tia::memo::RenderError::TooLarge(_) => Failure::Config(e.into()),
            tia::memo::RenderError::Template(_) => Failure::Internal(e.into()),
        }
    }
}

impl From<tia::typst::TypstError> for Failure {
    fn from(e: tia::typst::TypstError) -> Self {
        Failure::Typst(e)
    }
}

/// Structured logs on standard error: text, or JSON lines with `--log-json`; the level from
/// TIA_LOG (e.g. `info`, `tia=debug,tower_http=debug`).
fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TIA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// `--format json` prints (or writes) the data; `pdf` renders it and writes the document.
fn emit<T: serde::Serialize>(
    value: &T,
    how: &Emit,
    default_stem: &Path,
    render: impl FnOnce(&tia::memo::Renderer) -> Result<tia::typst::Document, tia::memo::RenderError>,
) -> Result<ExitCode, Failure> {
    match how.format {
        DocFormat::Json => write_json(value, how.out.output.as_deref())?,
        DocFormat::Pdf => {
            let doc = render(&tia::memo::Renderer::new()?)?;
            write_document(&doc, &how.out, default_stem)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a path argument means standard input or output.
fn is_std(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Streams JSON to standard output, without building the whole text first.
fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| Failure::Internal(e.into()))?;
    writeln!(out)
        .and_then(|_| out.flush())
        .map_err(|e| Failure::Internal(e.into()))
}

/// `tia init`: the answers from flags, the missing ones asked at a terminal, then the model
/// written whole (never over an existing file without --force).
fn init(global: &Global, mut a: InitArgs) -> Result<ExitCode, Failure> {
    use std::io::IsTerminal;
    use tia::knowledge::catalog::{self, Kind};
    let kb = tia::load_knowledge(global.knowledge.as_deref())?;
    let lang = a.lang.lang();
    if !is_std(&a.out) && a.out.exists() && !a.force {
        eprintln!(
            "error: {} exists\n  hint: choose another file, or add --force to replace it",
            a.out.display()
        );
        return Ok(ExitCode::from(2));
    }
    let ask = !a.no_input && std::io::stdin().is_terminal();
    let prompt = |question: &str, choices: Option<Kind>| -> Result<String, Failure> {
        if let Some(kind) = choices {
            let items = catalog::list(&kb, kind, lang);
            let width = items.iter().map(|i| i.id.len()).max().unwrap_or(0);
            for i in items {
                eprintln!("    {:width$}  {}", i.id, i.name);
            }
        }
        eprint!("{question}: ");
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Failure::Internal(e.into()))?;
        Ok(line.trim().to_string())
    };
    let list = |s: String| -> Vec<String> {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    if ask {
        eprintln!("A first model: answer each question (Enter leaves an optional one out).");
        if a.controller.is_none() {
            a.controller = Some(prompt("Controller (e.g. Exempel kommun)", None)?);
        }
        if a.country.is_none() {
            a.country = Some(prompt(
                "Its country (code or name, e.g. SE or Sverige)",
                None,
            )?);
        }
        if a.kind.is_none() {
            a.kind = match prompt("Kind: public_body, company or eu_institution", None)?.as_str() {
                "company" => Some(KindArg::Company),
                "eu_institution" => Some(KindArg::EuInstitution),
                "public_body" => Some(KindArg::PublicBody),
                _ => None,
            };
        }
        if a.purpose.is_none() {
            a.purpose = Some(prompt("The purpose, in a sentence", None)?);
        }
        if a.subjects.is_empty() {
            a.subjects = list(prompt(
                "Data subjects (ids, comma-separated)",
                Some(Kind::Subjects),
            )?);
        }
        if a.categories.is_empty() {
            a.categories = list(prompt(
                "Data categories (ids, comma-separated)",
                Some(Kind::Categories),
            )?);
        }
        if a.processor.is_none() {
            a.processor = Some(prompt(
                "The processor (catalogue id, LEI or name; `tia knowledge list vendors`)",
                None,
            )?);
        }
        let p = a.processor.clone().unwrap_or_default();
        if a.processor_country.is_none()
            && tia::init::processor(&kb, &p, None).is_err()
            && !p.is_empty()
        {
            let c = prompt("Not in the catalogue: its country of incorporation", None)?;
            a.processor_country = (!c.is_empty()).then_some(c);
        }
    }
    let missing: Vec<&str> = [
        ("--controller", a.controller.is_none()),
        ("--country", a.country.is_none()),
        ("--kind", a.kind.is_none()),
        ("--purpose", a.purpose.is_none()),
        ("--subjects", a.subjects.is_empty()),
        ("--categories", a.categories.is_empty()),
        ("--processor", a.processor.is_none()),
    ]
    .into_iter()
    .filter_map(|(f, m)| m.then_some(f))
    .collect();
    if !missing.is_empty() {
        eprintln!(
            "error: tia init needs {}\n  hint: run it at a terminal to be asked, or give the flags (`tia init --help`)",
            missing.join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    let answers = tia::init::Answers {
        title: a.title,
        controller: a.controller.unwrap_or_default(),
        country: a.country.unwrap_or_default(),
        kind: match a.kind {
            Some(KindArg::PublicBody) => tia::knowledge::ControllerKind::PublicBody,
            Some(KindArg::EuInstitution) => tia::knowledge::ControllerKind::EuInstitution,
            _ => tia::knowledge::ControllerKind::Company,
        },
        purpose: a.purpose.unwrap_or_default(),
        subjects: a.subjects,
        categories: a.categories,
        subjects_count: a.subjects_count,
        processor: a.processor.unwrap_or_default(),
        processor_country: a.processor_country,
        service: a.service,
        lang,
    };
    let today = chrono::Local::now().date_naive();
    let text = match tia::init::model_text(&kb, &answers, today) {
        Ok(t) => t,
        Err(problems) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    // What is written must load: the same check as `tia assess`.
    let file = a.out.display().to_string();
    tia::model::load_model(&text, &file, &kb)?;
    write_file(&a.out, text.as_bytes())?;
    if !is_std(&a.out) {
        eprintln!("next: check it, then `tia assess {file}` and `tia memo {file} -o memo.pdf`");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Failure::Internal(e.into()))
}

/// Writes bytes whole to `path` (standard output for `-`), or not at all.
fn write_file(path: &Path, data: &[u8]) -> Result<(), Failure> {
    if is_std(path) {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(data)
            .and_then(|_| out.flush())
            .map_err(|e| Failure::Internal(e.into()));
    }
    tia::typst::write_atomically(path, data).map_err(|e| {
        Failure::Config(anyhow::anyhow!(
            "cannot write {}: {e}\nhint: check that the folder exists and is writable, or give `-` for standard output",
            path.display()
        ))
    })?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Prints JSON, or writes it whole to `path` (`-`: standard output).
fn write_json<T: serde::Serialize>(
    value: &T,
    path: Option<&std::path::Path>,
) -> Result<(), Failure> {
    match path {
        Some(p) if !is_std(p) => {
            let text =
                serde_json::to_string_pretty(value).map_err(|e| Failure::Internal(e.into()))?;
            write_file(p, format!("{text}\n").as_bytes())
        }
        _ => print_json(value),
    }
}

type Render = fn(
    &tia::memo::Renderer,
    &tia::Model,
    &tia::Report,
    &tia::Knowledge,
) -> Result<tia::typst::Document, tia::memo::RenderError>;

/// `tia memo` and `tia consult`: assess the model, render the document, write it.
fn render(global: &Global, a: &DocArgs, document: Render) -> Result<ExitCode, Failure> {
    let kb = tia::load_knowledge(global.knowledge.as_deref())?;
    let model = tia::load_model_file(&a.file, &kb)?;
    let report = tia::assess(&model, &kb, &a.judging.options())?;
    let doc = document(&tia::memo::Renderer::new()?, &model, &report, &kb)?;
    write_document(&doc, &a.out, &a.file)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a rendered document: its data when asked for, and the PDF unless only the data was
/// asked for. typst is located before anything is written, and each file is written whole or
/// not at all.
fn write_document(
    doc: &tia::typst::Document,
    out: &Output,
    default_stem: &std::path::Path,
) -> Result<(), Failure> {
    let pdf = match (&out.output, &out.data) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(_)) => None,
        (None, None) if is_std(default_stem) => Some(PathBuf::from("memo.pdf")),
        (None, None) => Some(PathBuf::from(
            default_stem
                .file_stem()
                .map(|s| s.to_os_string())
                .unwrap_or_else(|| "memo".into()),
        ))
        .map(|p| p.with_extension("pdf")),
    };
    if let Some(dir) = &out.template {
        tia::typst::check_template_dir(dir).map_err(|e| {
            Failure::Config(anyhow::anyhow!(
                "--template: {e}\nhint: give a folder with memo.typ, consult.typ, diff.typ, compare.typ or lib.typ"
            ))
        })?;
    }
    let bytes = match &pdf {
        Some(_) => Some(
            tia::typst::Typst::locate()?
                .with_templates(out.template.clone())
                .compile(doc)?,
        ),
        None => None,
    };
    if let Some(data) = &out.data {
        write_file(data, format!("{}\n", doc.data_json()).as_bytes())?;
    }
    if let (Some(path), Some(bytes)) = (pdf, bytes) {
        write_file(&path, &bytes)?;
    }
    Ok(())
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Schema => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            print_json(&tia::model::json_schema_with(&kb))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "tia", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Templates { dir } => {
            std::fs::create_dir_all(&dir).map_err(|e| {
                Failure::Config(anyhow::anyhow!("cannot create {}: {e}", dir.display()))
            })?;
            for (name, text) in tia::memo::TEMPLATES {
                let path = dir.join(name);
                if path.exists() {
                    eprintln!("kept {} (exists)", path.display());
                    continue;
                }
                write_file(&path, text.as_bytes())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::Internal(e.into()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command: KnowledgeCommand::ImportGleif(a),
        } => import_gleif(cli.global.knowledge.as_deref(), a),
        Command::Knowledge {
            command: KnowledgeCommand::Diff(a),
        } => knowledge_diff(cli.global.knowledge.as_deref(), a),
        Command::Knowledge {
            command:
                KnowledgeCommand::Check {
                    max_age_days,
                    today,
                    fail_on_stale,
                    ownership_max_age_days,
                },
        } => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
            let max = max_age_days.unwrap_or(kb.meta.stale_after_days);
            let stale = kb.stale(today, max);
            println!(
                "knowledge {} ({}), as of {}: {} sources, {} jurisdictions, {} laws, {} data categories, {} vendors, {} measures, {} options, {} policies, {} rules — ok",
                kb.meta.version,
                kb.origin,
                kb.meta.as_of,
                kb.sources.len(),
                kb.jurisdictions.len(),
                kb.laws.len(),
                kb.data_categories.len(),
                kb.vendors.len(),
                kb.measures.len(),
                kb.options.len(),
                kb.policies.len(),
                kb.rules.len()
            );
            print_ownership(&kb, today, ownership_max_age_days);
            let unverified: Vec<_> = kb.unverified_sources().collect();
            if !unverified.is_empty() {
                println!(
                    "{} sources are marked not verified (documents say so where they are cited):",
                    unverified.len()
                );
                for (s, o) in unverified {
                    println!(
                        "  not verified: source `{}` — {} — {}:{}",
                        s.id,
                        s.uncertain
                            .as_deref()
                            .unwrap_or("no reason given")
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" "),
                        o.file,
                        o.line
                    );
                }
            }
            if stale.is_empty() {
                println!("no entry is older than {max} days on {today}");
            } else {
                println!(
                    "{} entries are older than {max} days on {today}:",
                    stale.len()
                );
                for s in &stale {
                    println!(
                        "  stale: {} `{}` as_of {} ({} days) — {}:{}",
                        s.kind, s.id, s.as_of, s.age_days, s.file, s.line
                    );
                }
                if fail_on_stale {
                    return Ok(ExitCode::from(3));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command:
                KnowledgeCommand::List {
                    kind,
                    search,
                    format,
                    lang,
                },
        } => {
            use tia::knowledge::catalog;
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let items = catalog::search(
                &kb,
                kind.kind(),
                lang.lang(),
                search.as_deref().unwrap_or(""),
            );
            match format {
                Format::Json => print_json(&items)?,
                Format::Text => {
                    let width = items
                        .iter()
                        .map(|i| i.id.chars().count())
                        .max()
                        .unwrap_or(0);
                    let mut out = String::new();
                    for i in &items {
                        out.push_str(&format!("{:width$}  {}", i.id, i.name));
                        if !i.detail.is_empty() {
                            out.push_str(&format!("  ({})", i.detail));
                        }
                        out.push('\n');
                    }
                    print_text(&out)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command: KnowledgeCommand::Show { id, format },
        } => {
            use tia::knowledge::catalog;
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let found = catalog::show(&kb, &id);
            if found.is_empty() {
                eprintln!(
                    "error: no knowledge entry has the id `{id}`\n  hint: `tia knowledge list vendors --search {id}` (or countries, categories, subjects, measures, profiles, laws) finds ids by name"
                );
                return Ok(ExitCode::from(2));
            }
            match format {
                Format::Json => {
                    let v: Vec<serde_json::Value> = found
                        .iter()
                        .map(|(k, v)| serde_json::json!({"kind": k, "entry": v}))
                        .collect();
                    print_json(&v)?
                }
                Format::Text => {
                    let mut out = String::new();
                    for (kind, v) in &found {
                        out.push_str(&format!("# {kind}\n"));
                        out.push_str(&serde_json::to_string_pretty(v).unwrap_or_default());
                        out.push('\n');
                    }
                    print_text(&out)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(a) => init(&cli.global, a),
        Command::Portfolio(a) => portfolio(&cli.global, a),
        Command::Import(ImportCommand::Subprocessors(a)) => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let opts = a
                .options()
                .map_err(|m| Failure::Config(anyhow::anyhow!(m)))?;
            let report = tia::import::import_subprocessors(&opts, &kb)?;
            match a.format {
                tia::import::ReportFormat::Json => print_json(&report)?,
                tia::import::ReportFormat::Text => print_text(&tia::import::render_text(&report))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Memo(a) => render(&cli.global, &a, tia::memo::Renderer::memo),
        Command::Consult(a) => render(&cli.global, &a, tia::memo::Renderer::consult),
        Command::Serve(a) => {
            let config = tia::server::Config {
                db: a.db,
                addr: a.addr,
                body_limit: a.body_limit,
                render_slots: a
                    .render_slots
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
                render_timeout: std::time::Duration::from_secs(a.render_timeout),
                secure_cookies: a.secure_cookies,
                auth_file: a.auth,
                json_logs: a.log_json,
                template_dir: a.template,
                knowledge_dir: cli.global.knowledge.clone(),
                header_timeout: std::time::Duration::from_secs(a.header_timeout.max(1)),
            };
            init_logging(config.json_logs);
            let runtime =
                tokio::runtime::Runtime::new().map_err(|e| Failure::Internal(e.into()))?;
            runtime.block_on(tia::server::serve(config)).map_err(|e| {
                if e.downcast_ref::<tia::server::ConfigError>().is_some() {
                    Failure::Config(e)
                } else {
                    Failure::Internal(e)
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add { name, role, db }) => {
            let config = |m: String| Failure::Config(anyhow::anyhow!(m));
            let role = tia::server::auth::Role::parse(&role).ok_or_else(|| {
                config(format!(
                    "unknown role `{role}`\nhint: one of reader, editor, approver, admin"
                ))
            })?;
            let name = name.trim().to_string();
            if !tia::server::auth::valid_user_name(&name) {
                return Err(config(
                    "the user name must be 1 to 200 printable characters".into(),
                ));
            }
            let password = read_new_password().map_err(config)?;
            let hash = tia::server::auth::hash_password(&password);
            let runtime =
                tokio::runtime::Runtime::new().map_err(|e| Failure::Internal(e.into()))?;
            let added = runtime.block_on(async {
                let store = tia::store::Store::open(&db).await.map_err(|e| {
                    config(format!(
                        "cannot open the database {}: {e}",
                        tia::store::redact_url(&db)
                    ))
                })?;
                let added = store
                    .add_user(&name, &hash, role.as_str(), "tia user add")
                    .await
                    .map_err(|e| Failure::Internal(e.into()));
                store.close().await;
                added
            })?;
            if !added {
                return Err(config(format!("a user `{name}` already exists")));
            }
            eprintln!("added {name} ({})", role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::HashPassword { token } => {
            let mut secret = String::new();
            std::io::stdin()
                .read_line(&mut secret)
                .map_err(|e| Failure::Internal(e.into()))?;
            let secret = secret.trim_end_matches(['\n', '\r']);
            if secret.is_empty() {
                return Err(Failure::Config(anyhow::anyhow!(
                    "give the password (or token) on standard input\nhint: echo 'the password' | tia hash-password"
                )));
            }
            if token {
                println!("{}", tia::server::auth::token_digest(secret));
            } else {
                println!("{}", tia::server::auth::hash_password(secret));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(a) => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let models = a
                .files
                .iter()
                .map(|f| tia::load_model_file(f, &kb))
                .collect::<Result<Vec<_>, _>>()?;
            let reports = tia::compare::assess_alike(&kb, &models, &a.judging.options())?;
            let comparison = tia::compare::compare(&kb, &reports)?;
            emit(&comparison, &a.emit, Path::new("comparison"), |r| {
                r.compare(&comparison, &kb)
            })
        }
        Command::Diff(a) => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let opts = a.judging.options();
            let old_model = tia::load_model_file(&a.old, &kb)?;
            let new_model = tia::load_model_file(&a.new, &kb)?;
            let old = tia::assess(&old_model, &kb, &opts)?;
            let new = tia::assess(&new_model, &kb, &opts)?;
            let change = tia::diff::diff(
                &old_model,
                &old,
                &new_model,
                &new,
                &tia::diff::DiffOptions {
                    notice_date: a.notice_date,
                    objection_days: a.objection_days,
                    today: None,
                },
            );
            emit(&change, &a.emit, &a.new, |r| {
                r.diff(&change, new.language, &kb)
            })
        }
        Command::Assess(a) => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let model = tia::load_model_file(&a.file, &kb)?;
            let opts = a.judging.options();
            let report = tia::assess(&model, &kb, &opts)?;
            match a.format {
                Format::Json => print_json(&report)?,
                Format::Text => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(tia::summary::render(&report, &kb).as_bytes())
                        .and_then(|_| out.flush())
                        .map_err(|e| Failure::Internal(e.into()))?;
                }
            }
            let fail = match a.fail_on {
                Some(FailOn::NotAcceptable) => report.verdict == Verdict::NotAcceptable,
                Some(FailOn::AcceptableWithMeasures) => report.verdict != Verdict::Acceptable,
                None => false,
            };
            Ok(if fail {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// `tia portfolio`: judge the register or a folder again; write the table whole or not at all.
fn portfolio(global: &Global, a: PortfolioArgs) -> Result<ExitCode, Failure> {
    use tia::portfolio;
    let config = |m: String| Failure::Config(anyhow::anyhow!(m));
    let kb = tia::load_knowledge(global.knowledge.as_deref())?;
    let mut scenarios = Vec::new();
    for spec in &a.what_if {
        scenarios.extend(kb.scenario_or_file(spec)?);
    }
    if matches!(a.format, PortfolioFormat::Xlsx | PortfolioFormat::Pdf)
        && a.output.as_deref().is_none_or(is_std)
        && std::io::stdout().is_terminal()
    {
        let ext = if matches!(a.format, PortfolioFormat::Pdf) {
            "pdf"
        } else {
            "xlsx"
        };
        return Err(config(format!(
            "a {} file is not for a terminal\nhint: add -o portfolio.{ext}",
            ext.to_uppercase()
        )));
    }
    // Typst is looked for before the work, so a missing one costs nothing.
    let typst = match a.format {
        PortfolioFormat::Pdf => Some(tia::typst::Typst::locate()?),
        _ => None,
    };
    let today = chrono::Local::now().date_naive();
    let latest_from = scenarios.iter().filter_map(|s| a.from.or(s.from)).max();
    let as_of = a
        .as_of
        .unwrap_or_else(|| latest_from.map_or(today, |f| f.max(today)));
    if let Some(f) = latest_from.filter(|f| *f > as_of) {
        eprintln!("warning: a scenario takes hold on {f}, after the day judged ({as_of}): it changes nothing before then");
    }
    let workers = a
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, portfolio::MAX_WORKERS);
    let opts = portfolio::PortfolioOptions {
        as_of,
        today,
        scenarios,
        from: a.from,
        changelog: portfolio::changelog_for(global.knowledge.as_deref()),
        lang: a.lang.lang(),
        workers,
    };
    let progress = Progress::new();
    let tick = |n: usize| progress.tick(n);
    let (result, recorded) = match (&a.db, &a.dir) {
        (Some(db), _) => {
            let runtime =
                tokio::runtime::Runtime::new().map_err(|e| Failure::Internal(e.into()))?;
            let store = runtime.block_on(tia::store::Store::open(db)).map_err(|e| {
                config(format!(
                    "cannot open the database {}: {e}",
                    tia::store::redact_url(db)
                ))
            })?;
            let handle = runtime.handle().clone();
            let result = portfolio::run(
                &kb,
                portfolio::register_systems(&handle, &store, 200),
                &opts,
                &tick,
            );
            progress.done();
            let result = result?;
            let recorded = if a.record {
                let run_id = format!(
                    "{}-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
                    std::process::id()
                );
                let items = portfolio::reassessments(&result, &run_id);
                Some(
                    runtime
                        .block_on(store.record_reassessments(&a.actor, &items))
                        .map_err(|e| Failure::Internal(e.into()))?,
                )
            } else {
                None
            };
            runtime.block_on(store.close());
            (result, recorded)
        }
        (None, Some(dir)) => {
            let result = portfolio::run(&kb, portfolio::folder_systems(dir)?, &opts, &tick);
            progress.done();
            (result?, None)
        }
        (None, None) => unreachable!("clap requires --db or --dir"),
    };
    let bytes = match a.format {
        PortfolioFormat::Text => tia::memo::Renderer::new()?
            .portfolio_text(&result, a.lang.lang())
            .into_bytes(),
        PortfolioFormat::Json => {
            let mut t =
                serde_json::to_vec_pretty(&result).map_err(|e| Failure::Internal(e.into()))?;
            t.push(b'\n');
            t
        }
        PortfolioFormat::Csv => {
            portfolio::to_csv(&result).map_err(|e| Failure::Internal(e.into()))?
        }
        PortfolioFormat::Xlsx => {
            portfolio::to_xlsx(&result).map_err(|e| Failure::Internal(anyhow::anyhow!("{e}")))?
        }
        PortfolioFormat::Pdf => {
            let doc = tia::memo::Renderer::new()?.portfolio(&result, a.lang.lang());
            typst
                .as_ref()
                .expect("located above for a PDF")
                .compile(&doc)?
        }
    };
    write_file(a.output.as_deref().unwrap_or(Path::new("-")), &bytes)?;
    if let Some(n) = recorded {
        eprintln!("recorded {n} re-assessments in the register");
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress spinner on standard error (indicatif), only when it is a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} judged {pos} systems ({per_sec}, {elapsed})",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress { bar }
    }

    fn tick(&self, n: usize) {
        if let Some(b) = &self.bar {
            b.set_position(n as u64);
        }
    }

    fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `knowledge check`'s ownership report: unknown, lapsed and old ownership, never a failure.
fn print_ownership(kb: &tia::Knowledge, today: NaiveDate, max_age: i64) {
    use tia::knowledge::OwnershipIssueKind as K;
    let issues = kb.ownership_issues(today, max_age);
    if issues.is_empty() {
        println!("ownership: every vendor's owners are sourced and stated within {max_age} days");
        return;
    }
    let mut vendors: Vec<&str> = issues.iter().map(|i| i.vendor.as_str()).collect();
    vendors.dedup();
    println!(
        "ownership: {} vendors to re-check (unknown, not current, or stated more than {max_age} days before {today}):",
        vendors.len()
    );
    for i in &issues {
        let what = match &i.kind {
            K::Unknown { reason } => format!("unknown: vendor `{}` — {reason}", i.vendor),
            K::NoCurrentOwner => format!(
                "unknown: vendor `{}` — no listed relationship holds on {today}",
                i.vendor
            ),
            K::Old { as_of, age_days } => format!(
                "old: vendor `{}` ownership as of {as_of} ({age_days} days)",
                i.vendor
            ),
            K::NotCurrent {
                owner,
                status,
                valid_to,
            } => {
                let why = match (status, valid_to) {
                    (Some(tia::knowledge::RelationshipState::Lapsed), _) => "lapsed".to_string(),
                    (Some(tia::knowledge::RelationshipState::Inactive), _) => {
                        "inactive".to_string()
                    }
                    (_, Some(d)) => format!("ended {d}"),
                    _ => "not yet begun".to_string(),
                };
                format!(
                    "not current: vendor `{}` parent `{owner}` ({why}; not counted as an owner)",
                    i.vendor
                )
            }
        };
        println!("  {what} — {}:{}", i.file, i.line);
    }
}

/// `knowledge diff`: the older folder against --to, --knowledge or the embedded knowledge.
fn knowledge_diff(knowledge: Option<&Path>, a: KnowledgeDiffArgs) -> Result<ExitCode, Failure> {
    let old_dir = a.old.or(a.from).expect("clap requires OLD or --from");
    use tia::knowledge::diff::{diff, RawKnowledge};
    let old = RawKnowledge::load(&old_dir)?;
    let new = match a.to.as_deref().or(knowledge) {
        Some(dir) => RawKnowledge::load(dir)?,
        None => RawKnowledge::embedded()?,
    };
    let d = diff(&old, &new);
    match a.format {
        Format::Text => print!("{}", d.to_text()),
        Format::Json => print_json(&d)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `tia knowledge import-gleif`.
fn import_gleif(knowledge: Option<&Path>, a: ImportGleifArgs) -> Result<ExitCode, Failure> {
    let config = |m: String| Failure::Config(anyhow::anyhow!(m));
    let published = match &a.published {
        Some(p) => Some(tia::knowledge::gleif::parse_published(p).ok_or_else(|| {
            config(format!(
                "--published: `{p}` is not a time\nhint: write 2026-12-02T08:00 (UTC) or 2026-12-02"
            ))
        })?),
        None => None,
    };
    let (mut leis, mut names) = (a.leis, a.names);
    if let Some(list) = &a.list {
        let (l, n) = tia::knowledge::gleif::read_list(list)?;
        leis.extend(l);
        names.extend(n);
    }
    let into = match (a.into, knowledge) {
        (Some(p), _) => p,
        (None, Some(dir)) => dir.join("vendors/gleif.yaml"),
        (None, None) => {
            return Err(config(
                "say where to write: --into knowledge/vendors/gleif.yaml, or --knowledge <folder> (writes <folder>/vendors/gleif.yaml)".into(),
            ))
        }
    };
    let summary = tia::knowledge::gleif::import(&tia::knowledge::gleif::ImportOptions {
        level1: a.level1,
        rr: a.rr,
        repex: a.repex,
        leis,
        names,
        published,
        into,
        knowledge_dir: knowledge.map(Path::to_path_buf),
    })?;
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "wrote {} ({} entries from GLEIF's golden copy of {} UTC, {} kept; {} passes over the relationship file)",
        summary.file.display(),
        summary.entries.len(),
        summary.published.format("%Y-%m-%d %H:%M"),
        summary.kept,
        summary.rr_passes
    );
    for (id, name, lei, owners) in &summary.entries {
        println!("  {id}: {name} ({lei}) — {owners}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A new password: asked twice without echo on a terminal, else one line of standard input.
/// At least 12 characters.
fn read_new_password() -> Result<String, String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("Repeat the password: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    let min = tia::server::auth::MIN_PASSWORD_CHARS;
    if password.chars().count() < min {
        return Err(format!("the password must have at least {min} characters"));
    }
    Ok(password)
}
