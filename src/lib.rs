//! `tia`: may we hand our personal data to this cloud service, and if not, what should we do
//! instead? A data-flow model is scored by rules from the Stockholm analysis of Microsoft 365
//! (2021) and the EDPB recommendations; every verdict explains itself.
//!
//! One path: [`model::load_model`] → [`report::assess`] (graph, exposures, rules, verdict,
//! options) → JSON or [`summary::render`]. The CLI, the server and the tests all call these.

pub mod compare;
pub mod diag;
pub mod diff;
pub mod engine;
pub mod import;
pub mod init;
pub mod knowledge;
pub mod locate;
pub mod memo;
pub mod model;
pub mod options;
pub mod portfolio;
pub mod report;
pub mod rules;
pub mod server;
pub mod store;
pub mod summary;
pub mod typst;
pub mod yaml;

pub use diag::{Diagnostic, InputError};
pub use engine::Verdict;
pub use knowledge::Knowledge;
pub use model::{load_model, Model};
pub use report::{assess, AssessOptions, Report};

/// Loads the knowledge base from a folder, or the embedded copy when none is given.
pub fn load_knowledge(dir: Option<&std::path::Path>) -> Result<Knowledge, InputError> {
    match dir {
        Some(d) => Knowledge::load_dir(d),
        None => Knowledge::embedded(),
    }
}

/// Reads and validates a model file; `-` reads standard input.
pub fn load_model_file(path: &std::path::Path, kb: &Knowledge) -> Result<Model, InputError> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let read = if stdin {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    };
    let text = read.map_err(|e| {
        InputError::from(
            Diagnostic::text(
                &name,
                (1, 1),
                diag::Text::message("cannot_read_model").arg("error", e),
            )
            .expected_text(diag::Text::expected("readable_model"))
            .hint_text(diag::Text::hint("check_path")),
        )
    })?;
    load_model(&text, &name, kb)
}
