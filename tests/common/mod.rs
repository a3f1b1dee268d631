#![allow(dead_code)]
use chrono::NaiveDate;
use tia::{assess, load_model, AssessOptions, Knowledge, Report};

pub fn kb() -> Knowledge {
    Knowledge::embedded().expect("embedded knowledge loads")
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Options with a fixed date so tests never depend on the clock.
pub fn opts(policy: Option<&str>, as_of: &str) -> AssessOptions {
    AssessOptions {
        policy: policy.map(String::from),
        as_of: Some(date(as_of)),
        lang: None,
        today: Some(date("2026-11-22")),
    }
}

pub fn assess_file(path: &str, policy: Option<&str>, as_of: &str) -> Report {
    let kb = kb();
    let text = std::fs::read_to_string(path).unwrap();
    let model = load_model(&text, path, &kb).unwrap_or_else(|e| panic!("{path} is valid: {e}"));
    assess(&model, &kb, &opts(policy, as_of)).unwrap()
}

pub fn assess_text(text: &str, policy: Option<&str>, as_of: &str) -> Report {
    let kb = kb();
    let model =
        load_model(text, "test.yaml", &kb).unwrap_or_else(|e| panic!("model is valid: {e}"));
    assess(&model, &kb, &opts(policy, as_of)).unwrap()
}

pub fn finding_ids(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.id.as_str()).collect()
}

/// A valid model of `n` Swedish processors, each receiving data from the controller: large
/// by count, trivial to judge.
pub fn wide_model(n: usize) -> String {
    let mut model = String::from("controller: { name: K, country: SE }\nprocessing:\n  purpose: P\n  data_categories: [identity]\nparties:\n");
    for i in 0..n {
        model.push_str(&format!(
            "  - {{ id: p{i}, role: processor, incorporated: SE, locations: [SE], parents: none }}\n"
        ));
    }
    model.push_str("flows:\n");
    for i in 0..n {
        model.push_str(&format!(
            "  - {{ from: controller, to: p{i}, access: cleartext }}\n"
        ));
    }
    model
}

/// Runs the `tia` binary with these arguments, without the caller's knowledge folder or
/// language settings.
pub fn tia(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(args)
        .env_remove("TIA_KNOWLEDGE")
        .env_remove("TIA_LANG")
        .output()
        .unwrap()
}

/// A program's output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An empty folder for one test (`name`), in the system's temporary folder.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tia-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Copies a folder tree (e.g. the knowledge base, to change a copy).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
