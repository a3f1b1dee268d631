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

// --- The model fields of December 2026: controller kind, participation, necessity, roles,
// --- dated transfer tools, pseudonymised access, ownership keywords.

const OK_HEAD: &str = "controller:\n  name: Exempel kommun\n  country: SE\n  kind: public_body\nprocessing:\n  purpose: Lön\n  participation: required\n  data_subjects: [employees, social_services_clients, pupils]\n  data_categories: [identity, { id: national_id, necessary: false }]\n";

fn valid(text: &str) -> tia::Model {
    load_model(text, "good.yaml", &kb()).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

#[test]
fn the_new_model_fields_are_accepted_and_resolved() {
    let text = format!("{OK_HEAD}parties:\n  - id: uni\n    role: recipient\n    incorporated: US\n    locations: [US]\n    parents: none\n    ownership_source: Statute\n  - id: own\n    role: controller\n    incorporated: IE\n    locations: [IE]\n    parents: unknown\n  - id: joint\n    role: joint_controller\n    incorporated: SE\n    locations: [SE]\n    parents: [{{ name: Holding AB, country: SE, share: 1, parents: none }}]\nflows:\n  - from: controller\n    to: uni\n    access: pseudonymised\n    key_holder: controller\n    transfer_tool: [{{ tool: scc, until: 2023-07-09 }}, {{ tool: dpf, from: 2023-07-10 }}]\n  - from: controller\n    to: own\n    access: cleartext\n    transfer_tool: none\n  - from: controller\n    to: joint\n    access: cleartext\n");
    let m = valid(&text);
    assert_eq!(
        m.controller.kind,
        tia::knowledge::ControllerKind::PublicBody
    );
    assert!(m.controller.public_body);
    assert_eq!(m.processing.data_categories, ["identity", "national_id"]);
    assert_eq!(m.processing.unnecessary_categories, ["national_id"]);
    assert_eq!(
        m.processing.participation,
        Some(tia::model::input::Participation::Required)
    );
    assert!(m.parties[0].owners_known);
    assert!(!m.parties[1].owners_known);
    assert!(m.parties[2].owners_known);
    assert_eq!(m.parties[1].role, tia::model::Role::Controller);
    assert_eq!(m.flows[0].access, tia::model::Access::Pseudonymised);
    assert_eq!(m.flows[0].transfer_tools.len(), 2);
    assert_eq!(m.flows[1].transfer_tools, [tia::model::TransferTool::None]);
    assert!(m.deprecations.is_empty());
}

#[test]
fn a_dated_transfer_tool_applies_only_on_its_days() {
    let text = format!("{OK_HEAD}parties:\n  - id: us\n    role: processor\n    incorporated: US\n    locations: [US]\n    dpf_certified: true\n    parents: none\nflows:\n  - from: controller\n    to: us\n    access: cleartext\n    transfer_tool: [{{ tool: scc, until: 2023-07-09 }}, {{ tool: dpf, from: 2023-07-10 }}]\n");
    let m = valid(&text);
    let at = |d: &str| {
        let mut o = common::opts(Some("gdpr-baseline"), d);
        o.today = Some(common::date("2026-11-22"));
        tia::assess(&m, &kb(), &o).unwrap().transfers[0].clone()
    };
    assert_eq!(at("2022-06-01").effective, tia::model::TransferTool::Scc);
    assert_eq!(at("2023-07-09").effective, tia::model::TransferTool::Scc);
    assert_eq!(at("2023-07-10").effective, tia::model::TransferTool::Dpf);
    assert_eq!(at("2026-11-01").declared, [tia::model::TransferTool::Dpf]);
}

#[test]
fn no_tool_documented_is_not_the_same_as_infer_one() {
    let flow = |tool: &str| {
        format!("{OK_HEAD}parties:\n  - id: ch\n    role: processor\n    incorporated: CH\n    locations: [CH]\n    parents: none\nflows:\n  - from: controller\n    to: ch\n    access: cleartext\n{tool}")
    };
    let report = |t: &str| {
        let m = valid(&flow(t));
        tia::assess(&m, &kb(), &common::opts(None, "2026-11-01")).unwrap()
    };
    let inferred = report("");
    assert_eq!(
        inferred.transfers[0].effective,
        tia::model::TransferTool::Adequacy
    );
    assert!(inferred.transfers[0].inferred);
    let none = report("    transfer_tool: none\n");
    assert_eq!(none.transfers[0].effective, tia::model::TransferTool::None);
    assert!(none.findings.iter().any(|f| f.rule == "CH5-NO-TOOL"));
}

#[test]
fn public_body_still_works_with_a_deprecation_warning() {
    let text = "controller:\n  name: K\n  country: SE\n  public_body: true\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";
    let m = valid(text);
    assert_eq!(
        m.controller.kind,
        tia::knowledge::ControllerKind::PublicBody
    );
    let r = tia::assess(&m, &kb(), &common::opts(None, "2026-11-01")).unwrap();
    assert_eq!(r.policy.id, "se-public-sector");
    assert!(r
        .warnings
        .iter()
        .any(|w| w.kind == "deprecated" && w.message.contains("kind: public_body")));
}

#[test]
fn public_body_contradicting_kind_is_located() {
    let text = "controller:\n  name: K\n  country: SE\n  kind: company\n  public_body: true\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";
    let d = one(text);
    assert!(d.message.contains("contradicts `kind`"), "{d:?}");
    assert_eq!((d.line, d.column), (5, 16));
}

#[test]
fn an_unknown_controller_kind_is_located() {
    let text = "controller:\n  name: K\n  country: SE\n  kind: municipality\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";
    let d = one(text);
    assert!(
        d.message.contains("unknown variant `municipality`"),
        "{d:?}"
    );
    assert_eq!(d.line, 4);
}

#[test]
fn a_controller_outside_the_eea_has_no_authority() {
    let text = "controller:\n  name: K Inc.\n  country: US\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";
    let d = one(text);
    assert!(d.message.contains("no supervisory authority"), "{d:?}");
    assert_eq!((d.line, d.column), (3, 12));
}

#[test]
fn a_tool_relied_on_until_before_it_starts_is_located() {
    let text = format!("{OK_HEAD}parties:\n  - id: us\n    role: processor\n    incorporated: US\n    locations: [US]\n    parents: none\nflows:\n  - from: controller\n    to: us\n    access: cleartext\n    transfer_tool: [{{ tool: scc, from: 2023-07-10, until: 2023-07-09 }}]\n");
    let d = one(&text);
    assert!(d.message.contains("before it starts"), "{d:?}");
    assert_eq!(d.line, 20);
}

#[test]
fn an_owners_value_of_the_wrong_shape_says_which_shapes_are_accepted() {
    let text = format!("{OK_HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: SE\n    locations: [SE]\n    parents: nobody\n");
    let d = one(&text);
    assert!(d.message.contains("`none`"), "{d:?}");
    assert!(d.message.contains("`unknown`"), "{d:?}");
    assert!(d.line >= 11, "{d:?}");
}

#[test]
fn an_unknown_participation_and_an_unknown_access_are_located() {
    let text = "controller:\n  name: K\n  country: SE\nprocessing:\n  purpose: P\n  participation: optional\n  data_categories: [identity]\n";
    let d = one(text);
    assert!(d.message.contains("unknown variant `optional`"), "{d:?}");
    assert_eq!(d.line, 6);
    let text = format!("{OK_HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: SE\n    locations: [SE]\nflows:\n  - from: controller\n    to: x\n    access: pseudonymized\n");
    let d = one(&text);
    assert!(
        d.message.contains("unknown variant `pseudonymized`"),
        "{d:?}"
    );
}

#[test]
fn errors_speak_of_what_the_user_wrote_not_of_rust_types() {
    let d = one("controller: 5\nprocessing:\n  purpose: P\n  data_categories: [identity]\n");
    assert!(d.message.contains("expected a mapping"), "{d:?}");
    assert!(!d.message.contains("struct"), "{d:?}");
    let d = one("controller: { name: K, country: SE }\nprocessing:\n  purpose: P\n  data_categories: [identity]\n  scale: { subjects: -5 }\n");
    assert!(d.message.contains("a whole number of 0 or more"), "{d:?}");
    assert!(!d.message.contains("u64"), "{d:?}");
    let d = one("controller:\n\tname: K\n");
    assert!(d.hint.as_deref().unwrap().contains("tab"), "{d:?}");
}

#[test]
fn yaml_aliases_are_refused_with_their_place() {
    let text = "controller: &c { name: K, country: SE }\nprocessing:\n  purpose: P\n  data_categories: [identity]\nparties:\n  - { id: a, role: processor, incorporated: SE, locations: &l [SE] }\n  - { id: b, role: processor, incorporated: SE, locations: *l }\n";
    let d = one(text);
    assert!(d.message.contains("YAML alias"), "{d:?}");
    assert_eq!(d.line, 7);
    // A star inside a text is no alias.
    let ok = "controller: { name: \"K*\", country: SE }\nprocessing:\n  purpose: \"a * b\"\n  data_categories: [identity]\n";
    assert!(load_model(ok, "ok.yaml", &kb()).is_ok());
}

#[test]
fn a_controller_in_a_state_that_left_the_eea_has_no_authority_here() {
    // The United Kingdom was in the EEA until 2020; its controllers answer to UK law now.
    let text = "controller:\n  name: K Ltd\n  country: GB\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";
    let d = one(text);
    assert!(d.message.contains("no supervisory authority"), "{d:?}");
}

#[test]
fn control_and_bidi_override_characters_are_refused_where_they_stand() {
    // Raw in the text: a right-to-left override would show "abc\u{202e}gnp.exe" as "abcexe.png".
    let d = one(&format!(
        "{HEAD}parties:\n  - {{ id: p, name: \"abc\u{202e}gnp.exe\", role: processor }}\n"
    ));
    assert_eq!((d.line, d.column), (8, 24), "{d:?}");
    assert!(d.message.contains("U+202E"), "{}", d.message);
    // A NUL byte in the text, and one written as an escape.
    let d = one(&format!(
        "{HEAD}parties:\n  - {{ id: p, name: \"a\u{0}b\", role: processor }}\n"
    ));
    assert!(d.message.contains("U+0000"), "{}", d.message);
    let d = one(&format!(
        "{HEAD}parties:\n  - id: p\n    name: \"a\\u0000b\"\n    role: processor\n"
    ));
    assert!(
        d.message.contains("parties[0].name") && d.message.contains("U+0000"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 9, "{d:?}");
    // Tabs inside a quoted string and line breaks are fine.
    assert!(load_model(
        &format!("{HEAD}assessment: {{ title: \"a\tb\" }}\n"),
        "ok.yaml",
        &kb()
    )
    .is_ok());
}

/// The ten mistakes people make most when writing YAML by hand, each located and said in the
/// words of someone editing the file, with a hint for that mistake (not a generic one).
#[test]
fn the_ten_common_yaml_mistakes_get_located_plain_messages() {
    let base = "controller:\n  name: Kommun\n  country: SE\n  kind: public_body\nprocessing:\n  purpose: Lön\n  data_subjects: [employees]\n  data_categories: [identity]\n  scale: { subjects: 100 }\n";
    type Case = (
        &'static str,
        String,
        (usize, usize),
        &'static str,
        &'static str,
    );
    let cases: [Case; 10] = [
        (
            "tab indentation",
            base.replace("  name: Kommun", "\tname: Kommun"),
            (2, 2),
            "tab character",
            "indent with spaces",
        ),
        (
            "duplicate key",
            format!("{base}controller:\n  name: X\n"),
            (10, 1),
            "the key `controller` appears twice",
            "keep one",
        ),
        (
            "negative count",
            base.replace("subjects: 100", "subjects: -5"),
            (9, 22),
            "whole number of 0 or more",
            "e.g. 6000",
        ),
        (
            "text for a list",
            base.replace("data_categories: [identity]", "data_categories: identity"),
            (8, 20),
            "expected a list",
            "[identity, contact]",
        ),
        (
            "unquoted colon",
            base.replace("purpose: Lön", "purpose: Lön: utbetalning"),
            (6, 15),
            "a second `key:`",
            "quote text",
        ),
        (
            "apostrophe in single quotes",
            base.replace("purpose: Lön", "purpose: 'kommunens stöd's'"),
            (6, 0),
            "after its closing quote",
            "apostrophe twice",
        ),
        (
            "two documents",
            format!("{base}---\na: 1\n"),
            (10, 1),
            "more than one YAML document",
            "remove the `---`",
        ),
        (
            "empty value",
            base.replace("purpose: Lön", "purpose:"),
            (6, 0),
            "this value is empty",
            "write a value",
        ),
        (
            "misspelt key",
            base.replace("purpose:", "purpse:"),
            (6, 3),
            "unknown field `purpse`",
            "check the spelling",
        ),
        (
            "a value for a mapping",
            base.replace(
                "controller:\n  name: Kommun\n  country: SE\n  kind: public_body\n",
                "controller: Kommun\n",
            ),
            (1, 0),
            "expected a mapping",
            "indented under the key",
        ),
    ];
    for (what, text, (line, column), says, hint) in cases {
        let d = one(&text);
        assert_eq!(d.line, line, "{what}: {d:?}");
        if column > 0 {
            assert_eq!(d.column, column, "{what}: {d:?}");
        }
        assert!(d.message.contains(says), "{what}: {d:?}");
        assert!(
            d.hint.as_deref().unwrap_or("").contains(hint),
            "{what}: {d:?}"
        );
        for internal in [
            "struct",
            "u64",
            "Option<",
            "DuplicateKeyPolicy",
            "from_str",
            "scalar",
        ] {
            assert!(
                !d.message.contains(internal),
                "{what} leaks `{internal}`: {d:?}"
            );
        }
    }
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_model() {
    let text = format!("\u{feff}{OK_HEAD}");
    let m = valid(&text);
    assert_eq!(m.controller.country, "SE");
}

#[test]
fn a_name_longer_than_two_thousand_characters_is_refused_where_it_stands() {
    let long = "A".repeat(2_001);
    let text = format!("{OK_HEAD}parties:\n  - id: x\n    name: {long}\n    role: processor\n    incorporated: SE\n    locations: [SE]\n");
    let d = one(&text);
    assert!(d.message.contains("parties[0].name"), "{}", d.message);
    assert!(d.message.contains("at most 2000"), "{}", d.message);
    assert_eq!(d.line, 12);
    // Exactly the limit is fine, and so is a long free text.
    let ok = "Å".repeat(2_000);
    valid(&format!("{OK_HEAD}parties:\n  - id: x\n    name: {ok}\n    role: processor\n    incorporated: SE\n    locations: [SE]\n"));
    let purpose = "lön ".repeat(3_000);
    valid(&OK_HEAD.replace("purpose: Lön", &format!("purpose: {purpose}")));
    let too_long = "x".repeat(20_001);
    let d = one(&OK_HEAD.replace("purpose: Lön", &format!("purpose: {too_long}")));
    assert!(
        d.message.contains("processing.purpose") && d.message.contains("at most 20000"),
        "{d:?}"
    );
}

#[test]
fn more_parties_than_the_limit_are_refused_before_any_work() {
    let mut text = format!("{OK_HEAD}parties:\n");
    for i in 0..=tia::model::MAX_PARTIES {
        text.push_str(&format!(
            "  - {{ id: p{i}, role: processor, incorporated: SE, locations: [SE] }}\n"
        ));
    }
    let d = one(&text);
    assert!(d.message.contains("100001 parties"), "{d:?}");
    assert_eq!(d.line, 10, "points at `parties:`");
}

#[test]
fn names_instead_of_ids_are_understood_in_the_hint() {
    // A country by its Swedish, Danish or English name.
    let text = format!("{HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: Tyskland\n    locations: [Sverige]\n");
    let e = errors(&text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `DE`?"));
    assert!(e[1]
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `SE`?"));
    // A vendor by its legal name.
    let text = format!("{HEAD}parties:\n  - id: x\n    role: processor\n    vendor: Microsoft Ireland Operations Limited\n");
    let d = one(&text);
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `microsoft-ireland`?"),
        "{d:?}"
    );
}

/// The model's place of `Sverige`, in a controller's country.
const SVERIGE: &str = "controller:\n  name: Exempel kommun\n  country: Sverige\nprocessing:\n  purpose: Lön\n  data_categories: [identity]\n";

#[test]
fn a_country_by_its_name_is_explained_in_swedish_danish_or_english_at_the_same_place() {
    use tia::model::Lang;
    let d = one(SVERIGE);
    assert_eq!(d.code.as_deref(), Some("unknown_country"));
    assert_eq!(d.args.get("code").map(String::as_str), Some("Sverige"));
    let sv = d.localized(Lang::Sv);
    assert_eq!(sv.message, "okänd landskod `Sverige`");
    assert!(
        sv.hint.as_deref().unwrap().starts_with("menade du `SE`?"),
        "{sv:?}"
    );
    assert!(
        sv.expected
            .as_deref()
            .unwrap()
            .starts_with("en landskod enligt ISO 3166-1 alfa-2"),
        "{sv:?}"
    );
    assert_eq!((sv.file.as_str(), sv.line, sv.column), ("bad.yaml", 3, 12));
    assert_eq!(sv.code, d.code, "the key is the same in every language");
    let da = d.localized(Lang::Da);
    assert_eq!(da.message, "ukendt landekode `Sverige`");
    assert!(
        da.hint.as_deref().unwrap().starts_with("mente du `SE`?"),
        "{da:?}"
    );
    assert!(
        da.expected.as_deref().unwrap().contains("ISO 3166-1"),
        "{da:?}"
    );
    assert_eq!((da.line, da.column), (3, 12));
    // English is what it always was, localized or not.
    assert_eq!(d.message, "unknown country code `Sverige`");
    assert!(d.hint.as_deref().unwrap().starts_with("did you mean `SE`?"));
    assert_eq!(d.localized(Lang::En), d);
    // The CLI's text has its labels in the language too.
    let text = tia::InputError::from(d).display(Lang::Sv);
    assert!(
        text.starts_with("fel: bad.yaml:3:12: okänd landskod `Sverige`\n  förväntat: "),
        "{text}"
    );
    assert!(text.contains("\n  tips: menade du `SE`?"), "{text}");
}

#[test]
fn names_of_vendors_and_countries_get_localized_suggestions() {
    use tia::model::Lang;
    let text = format!("{HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: Tyskland\n    locations: [SE]\n");
    let d = one(&text).localized(Lang::Da);
    assert!(
        d.hint.as_deref().unwrap().starts_with("mente du `DE`?"),
        "{d:?}"
    );
    let text = format!("{HEAD}parties:\n  - id: x\n    role: processor\n    vendor: Microsoft Ireland Operations Limited\n");
    let d = one(&text);
    assert_eq!(d.code.as_deref(), Some("unknown_vendor"));
    let sv = d.localized(Lang::Sv);
    assert_eq!(
        sv.message,
        "okänd leverantör `Microsoft Ireland Operations Limited`"
    );
    assert!(
        sv.hint
            .as_deref()
            .unwrap()
            .starts_with("menade du `microsoft-ireland`?"),
        "{sv:?}"
    );
    // A typo gets the closest id; a word far from all of them the list of known values.
    let text = "controller:\n  name: K\n  country: SE\nprocessing:\n  purpose: P\n  data_categories: [identity, helth]\n";
    let d = one(text).localized(Lang::Sv);
    assert_eq!(d.message, "okänd datakategori `helth`");
    assert_eq!(d.hint.as_deref(), Some("menade du `health`?"));
    let text = "controller:\n  name: K\n  country: SE\nprocessing:\n  purpose: P\n  data_categories: [identity, zzzzzzzzzzzz]\n";
    let d = one(text).localized(Lang::Da);
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .starts_with("kendte værdier er bl.a.: "),
        "{d:?}"
    );
}

#[test]
fn an_unknown_field_and_a_yaml_mistake_are_explained_in_swedish() {
    use tia::model::Lang;
    let d = one("controller:\n  name: K\n  contry: SE\nprocessing:\n  purpose: P\n  data_categories: [identity]\n");
    assert_eq!(d.code.as_deref(), Some("unknown_field"), "{d:?}");
    assert_eq!(d.args.get("field").map(String::as_str), Some("contry"));
    let sv = d.localized(Lang::Sv);
    assert!(
        sv.message
            .starts_with("okänt fält `contry`; tillåtna fält: ")
            && sv.message.contains("`country`"),
        "{sv:?}"
    );
    assert!(
        sv.hint
            .as_deref()
            .unwrap()
            .starts_with("kontrollera stavningen"),
        "{sv:?}"
    );
    assert_eq!(
        sv.expected.as_deref(),
        Some("en modell enligt `tia schema`")
    );
    assert_eq!((sv.line, sv.column), (d.line, d.column));
    // A tab, in Danish.
    let d = one("controller:\n\tname: K\n  country: SE\n");
    let da = d.localized(Lang::Da);
    assert_eq!(
        da.message, "et tabulatortegn, hvor YAML kræver mellemrum",
        "{da:?}"
    );
    assert!(da.hint.as_deref().unwrap().contains("mellemrum"), "{da:?}");
    // A wrong value of a closed list.
    let d = one("controller:\n  name: K\n  country: SE\n  kind: municipality\nprocessing:\n  purpose: P\n  data_categories: [identity]\n");
    let sv = d.localized(Lang::Sv);
    assert!(
        sv.message
            .starts_with("okänt värde `municipality`; tillåtna värden: ")
            && sv.message.contains("`public_body`"),
        "{sv:?}"
    );
    // A missing field.
    let d = one(
        "controller:\n  country: SE\nprocessing:\n  purpose: P\n  data_categories: [identity]\n",
    );
    assert_eq!(
        d.localized(Lang::Sv).message,
        "fältet `name` saknas",
        "{d:?}"
    );
    // JSON too.
    let e = load_model(
        r#"{"controller": {"name": "K", "contry": "SE"}}"#,
        "bad.json",
        &kb(),
    )
    .unwrap_err();
    let d = e.localized(Lang::Da).diagnostics.remove(0);
    assert!(d.message.starts_with("ukendt felt `contry`"), "{d:?}");
    assert_eq!(
        d.hint.as_deref(),
        Some("kontrollér JSON-syntaksen og feltnavnene på dette sted")
    );
}

#[test]
fn every_diagnostic_of_a_bad_model_has_a_key_and_a_swedish_text() {
    use tia::model::Lang;
    let cases = [
        SVERIGE.to_string(),
        "processing:\n  purpose: P\n  data_categories: []\n".to_string(),
        format!("{HEAD}parties:\n  - id: a\n    role: processor\n    incorporated: SE\n    locations: [SE]\n  - id: a\n    role: processor\n    incorporated: SE\n    locations: [SE]\n"),
        format!("{HEAD}parties:\n  - id: a\n    role: processor\n    incorporated: SE\n    locations: [SE]\n  - id: b\n    role: processor\n    incorporated: SE\n    locations: [SE]\nflows:\n  - {{ from: controller, to: a, access: cleartext }}\n  - {{ from: a, to: b, access: cleartext }}\n  - {{ from: b, to: a, access: cleartext }}\n  - {{ from: a, to: controller, access: cleartext }}\n  - {{ from: ghost, to: a, access: cleartext, measures: [tls] }}\n"),
        format!("{HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: SE\n    locations: [SE]\n    parents: maybe\n"),
        format!("{HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: SE\n    locations: [SE]\n    parents: [{{ name: P, country: XX, share: 2 }}]\n"),
        format!("{HEAD}parties:\n  - id: x\n    role: processor\n  - id: y\n    role: processor\n    incorporated: SE\n"),
        format!("{HEAD}risk_estimate:\n  horizon_years: 0\n  laws:\n    - law: cloud-akt\n      factors: [{{ name: f, probability: 2 }}]\n"),
        "controller:\n  name: K\n  country: SE\n  name: L\n".to_string(),
        "controller: &a\n  name: K\n  country: SE\nprocessing: *a\n".to_string(),
        "controller:\n  name: \"K\n  country: SE\n".to_string(),
        format!("{HEAD}parties:\n  - id: x\n    role: processor\n    incorporated: SE\n    locations: [SE]\n    announced: yesterday\n"),
        "{\"controller\": ".to_string(),
        "{\"controller\": {\"name\": 5}}".to_string(),
        "{\"controller\": {\"name\": \"K\",}}".to_string(),
    ];
    let mut seen = 0;
    for text in cases {
        for d in errors(&text) {
            seen += 1;
            assert!(d.code.is_some(), "no key: {d:?}");
            let sv = d.localized(Lang::Sv);
            assert_ne!(sv.message, d.message, "not translated: {d:?}");
            if let Some(h) = &d.hint {
                assert_ne!(sv.hint.as_ref(), Some(h), "hint not translated: {d:?}");
            }
            if let Some(e) = &d.expected {
                if !e.starts_with('`') {
                    assert_ne!(
                        sv.expected.as_ref(),
                        Some(e),
                        "expected not translated: {d:?}"
                    );
                }
            }
        }
    }
    assert!(seen >= 15, "the cases give many diagnostics: {seen}");
}
