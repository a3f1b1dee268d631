//! Bad input gets a located error: file, line, column, what was expected, a hint.
mod common;
use common::kb;
use tia::{load_model, Diagnostic};

fn errors(text: &str) -> Vec<Diagnostic> {
    load_model(text, "bad.yaml", &kb())
        .expect_err("the model must be rejected")
        .diagnostics
}

fn one(text: &str) -> Diagnostic {
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().unwrap()
}

const HEAD: &str = "controller:\n  name: Exempel kommun\n  country: SE\nprocessing:\n  purpose: Lön\n  data_categories: [identity]\n";

#[test]
fn an_unknown_party_in_a_flow_is_located_with_a_suggestion() {
    let text = format!("{HEAD}parties:\n  - id: lasia\n    role: processor\n    incorporated: SE\n    locations: [SE]\nflows:\n  - from: controller\n    to: lasai\n    access: cleartext\n");
    let d = one(&text);
    assert_eq!(d.message, "unknown party `lasai` in flow");
    assert_eq!((d.file.as_str(), d.line, d.column), ("bad.yaml", 14, 9));
    assert_eq!(d.hint.as_deref(), Some("did you mean `lasia`?"));
    assert!(d.expected.is_some());
}

#[test]
fn an_unknown_country_code_is_located() {
    let text = format!("{HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: SE\n    locations: [SE, XX]\n");
    let d = one(&text);
    assert_eq!(d.message, "unknown country code `XX`");
    assert_eq!((d.line, d.column), (11, 21));
}

#[test]
fn a_lower_case_country_code_gets_a_hint() {
    let text = "controller:\n  name: K\n  country: se\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";
    let d = one(text);
    assert_eq!(d.message, "unknown country code `se`");
    assert_eq!((d.line, d.column), (3, 12));
    assert!(d.hint.unwrap().contains("`SE`"));
}

#[test]
fn an_unknown_data_category_is_located() {
    let text = "controller:\n  name: K\n  country: SE\nprocessing:\n  purpose: P\n  data_categories: [identity, helth]\n";
    let d = one(text);
    assert_eq!(d.message, "unknown data category `helth`");
    assert_eq!((d.line, d.column), (6, 31));
    assert_eq!(d.hint.as_deref(), Some("did you mean `health`?"));
}

#[test]
fn a_duplicate_party_id_points_at_the_second_and_names_the_first() {
    let text = format!("{HEAD}parties:\n  - id: a\n    role: processor\n    incorporated: SE\n    locations: [SE]\n  - id: a\n    role: processor\n    incorporated: SE\n    locations: [SE]\n");
    let d = one(&text);
    assert_eq!(d.message, "duplicate party id `a`");
    assert_eq!((d.line, d.column), (12, 9));
    assert_eq!(d.hint.as_deref(), Some("first used at line 8, column 9"));
}

#[test]
fn a_flow_cycle_is_rejected_with_the_flows_named() {
    let text = format!(
        "{HEAD}parties:\n  - {{ id: a, role: processor, incorporated: SE, locations: [SE] }}\n  - {{ id: b, role: subprocessor, incorporated: SE, locations: [SE] }}\nflows:\n  - {{ from: controller, to: a, access: cleartext }}\n  - {{ from: a, to: b, access: cleartext }}\n  - {{ from: b, to: a, access: cleartext }}\n"
    );
    let d = one(&text);
    assert!(
        d.message.starts_with("the flows form a cycle:"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("a → b") && d.message.contains("b → a"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 13);
}

#[test]
fn a_missing_controller_is_reported_at_the_top() {
    let d = one("processing:\n  purpose: P\n  data_categories: [identity]\n");
    assert_eq!(d.message, "the model has no controller");
    assert_eq!((d.line, d.column), (1, 1));
    assert!(d.expected.unwrap().contains("controller"));
}

#[test]
fn a_parent_chain_that_loops_is_rejected() {
    let text = format!(
        "{HEAD}parties:\n  - id: a\n    role: processor\n    incorporated: SE\n    locations: [SE]\n    parents:\n      - name: Holding A\n        country: SE\n        share: 1\n        parents:\n          - name: Holding A\n            country: SE\n            share: 1\n"
    );
    let d = one(&text);
    assert!(
        d.message.starts_with("the parent chain loops"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 17);
}

#[test]
fn an_unknown_field_is_a_located_syntax_error() {
    let d = one("controller:\n  name: K\n  country: SE\n  contry: SE\nprocessing:\n  purpose: P\n  data_categories: [identity]\n");
    assert!(
        d.message.contains("unknown field `contry`"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 4);
}

#[test]
fn a_wrong_access_value_lists_the_allowed_ones() {
    let text = format!("{HEAD}parties:\n  - {{ id: a, role: processor, incorporated: SE, locations: [SE] }}\nflows:\n  - {{ from: controller, to: a, access: plaintext }}\n");
    let d = one(&text);
    assert!(
        d.message.contains("unknown variant `plaintext`") && d.message.contains("cleartext"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 10);
}

#[test]
fn several_errors_are_all_reported_in_file_order() {
    let text = format!("{HEAD}parties:\n  - {{ id: a, role: processor, incorporated: ZZ, locations: [SE] }}\nflows:\n  - {{ from: controller, to: b, access: cleartext }}\n");
    let e = errors(&text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].message.contains("ZZ") && e[1].message.contains("`b`"));
    assert!(e[0].line < e[1].line);
}

#[test]
fn a_json_model_error_is_located_too() {
    let text = "{\n  \"controller\": {\"name\": \"K\", \"country\": \"SE\"},\n  \"processing\": {\"purpose\": \"P\", \"data_categories\": [\"identity\", \"nope\"]}\n}\n";
    let d = load_model(text, "bad.json", &kb())
        .unwrap_err()
        .diagnostics
        .remove(0);
    assert_eq!(d.message, "unknown data category `nope`");
    assert_eq!(d.line, 3);
}

#[test]
fn an_unknown_vendor_and_an_unknown_measure_are_located() {
    let text = format!("{HEAD}parties:\n  - {{ id: a, role: processor, vendor: microsfot-ireland }}\n  - {{ id: b, role: processor, incorporated: SE, locations: [SE] }}\nflows:\n  - {{ from: controller, to: b, access: cleartext, measures: [tls] }}\n");
    let e = errors(&text);
    assert!(
        e[0].message.contains("unknown vendor `microsfot-ireland`"),
        "{e:?}"
    );
    assert_eq!(
        e[0].hint.as_deref(),
        Some("did you mean `microsoft-ireland`?")
    );
    assert!(e[1].message.contains("unknown measure `tls`"), "{e:?}");
}

#[test]
fn the_error_text_has_file_line_column_expected_and_hint() {
    let text = format!("{HEAD}flows:\n  - {{ from: controller, to: nobody, access: cleartext }}\n");
    let s = one(&text).to_string();
    assert!(s.starts_with("error: bad.yaml:8:"), "{s}");
    assert!(s.contains("\n  expected: "), "{s}");
}
