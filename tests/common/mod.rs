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
