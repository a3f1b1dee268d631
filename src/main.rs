//! The `tia` command line: parse arguments, call the library, present the result.
//! Exit codes: 0 assessed (whatever the verdict), 1 internal error, 2 bad input,
//! 3 the verdict reached `--fail-on`.

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
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
    /// Assess a model file: verdict, findings with reasons, options with residual verdicts.
    Assess(AssessArgs),
    /// Print the JSON Schema of the model format.
    Schema,
    /// Work with the knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: KnowledgeCommand,
    },
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
    },
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
    /// Policy profile id (default: the model's, else se-public-sector).
    #[arg(long)]
    policy: Option<String>,
    /// Judge the facts as they stood on this date (YYYY-MM-DD; default today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Language of explanations (default: the model's).
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// Exit with code 3 when the verdict is this or worse.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Sv,
    En,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Input(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Input(InputError),
    Internal(anyhow::Error),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Schema => {
            let schema = tia::model::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).map_err(|e| Failure::Internal(e.into()))?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command:
                KnowledgeCommand::Check {
                    max_age_days,
                    today,
                    fail_on_stale,
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
        Command::Assess(a) => {
            let kb = tia::load_knowledge(cli.global.knowledge.as_deref())?;
            let model = tia::load_model_file(&a.file, &kb)?;
            let opts = AssessOptions {
                policy: a.policy,
                as_of: a.as_of,
                lang: a.lang.map(|l| match l {
                    LangArg::Sv => Lang::Sv,
                    LangArg::En => Lang::En,
                }),
                today: None,
            };
            let report = tia::assess(&model, &kb, &opts)?;
            match a.format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report)
                        .map_err(|e| Failure::Internal(e.into()))?
                ),
                Format::Text => print!("{}", tia::summary::render(&report, &kb)),
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
