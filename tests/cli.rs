//! The `tia` binary: outputs, exit codes, schema, knowledge check.
mod common;
use common::{copy_dir, temp_dir, text, tia};

use std::path::Path;
use std::process::{Command, Output};

#[test]
fn assess_prints_a_readable_summary_and_exits_zero_whatever_the_verdict() {
    let o = tia(&[
        "assess",
        "examples/stockholm-m365.yaml",
        "--as-of",
        "2026-11-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("Bedömning: EJ GODTAGBAR (not_acceptable)"),
        "{out}"
    );
    assert!(
        out.contains(
            "Om tjänsten införs i den form som underlaget beskriver krävs förhandssamråd med IMY"
        ),
        "{out}"
    );
    assert!(out.contains("STH-1@microsoft-ireland/fisa-702"), "{out}");
    // The findings are grouped by the three legal questions, the deciding ones marked.
    let chapter_v = out
        .find("▶ Överföringar till tredjeland")
        .expect("Chapter V heading");
    let foreign = out
        .find("▶ Utländsk åtkomst utan överföring")
        .expect("foreign-access heading");
    let national = out
        .find("■ Nationell offentligrätt")
        .expect("national-law heading");
    assert!(chapter_v < foreign && foreign < national, "{out}");
    let sth1 = out.find("STH-1@microsoft-ireland/fisa-702").unwrap();
    assert!(
        foreign < sth1 && sth1 < national,
        "STH-1 is a foreign-access finding: {out}"
    );
    assert!(
        out.contains("profilens linje] STH-1@"),
        "the basis is shown: {out}"
    );
}

#[test]
fn assess_json_has_the_documented_fields() {
    let o = tia(&[
        "assess",
        "examples/lasia-2026.yaml",
        "--format",
        "json",
        "--policy",
        "gdpr-baseline",
        "--as-of",
        "2026-11-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "schema_version",
        "verdict",
        "policy",
        "as_of",
        "input_sha256",
        "dpia",
        "prior_consultation_required",
        "exposures",
        "findings",
        "options",
        "recommended_option",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["verdict"], "acceptable_with_measures");
    assert_eq!(v["decided_by"], serde_json::json!(["foreign_access"]));
    assert_eq!(v["policy"]["id"], "gdpr-baseline");
    let q = &v["questions"];
    assert_eq!(q.as_array().unwrap().len(), 3);
    for (i, id) in ["chapter_v", "foreign_access", "national_law"]
        .iter()
        .enumerate()
    {
        assert_eq!(q[i]["id"], *id);
        for key in ["conclusion", "basis", "findings"] {
            assert!(q[i].get(key).is_some(), "question missing {key}");
        }
    }
    let f = &v["findings"][0];
    assert!(f["basis"] == "law" || f["basis"] == "policy", "{f}");
    assert!(f["question"].is_string());
    let pc = &v["prior_consultation"];
    for key in [
        "required_if_introduced_as_modelled",
        "required_after_recommended_option",
        "authority",
    ] {
        assert!(pc.get(key).is_some(), "prior_consultation missing {key}");
    }
    assert_eq!(pc["authority"]["short"], "IMY");
    assert_eq!(v["as_of"], "2026-11-01");
    assert!(v["dpia"]["required"].is_boolean() && v["dpia"]["criteria"].is_array());
    let opt = &v["options"][0];
    for key in ["id", "title", "feasible", "residual_verdict"] {
        assert!(opt.get(key).is_some(), "option missing {key}");
    }
}

#[test]
fn fail_on_not_acceptable_exits_3_for_pipelines() {
    assert_eq!(
        tia(&[
            "assess",
            "examples/stockholm-m365.yaml",
            "--fail-on",
            "not-acceptable"
        ])
        .status
        .code(),
        Some(3)
    );
    assert_eq!(
        tia(&[
            "assess",
            "examples/lasia-2026.yaml",
            "--fail-on",
            "not-acceptable"
        ])
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn bad_input_exits_2_with_a_located_error_and_no_output() {
    let dir = temp_dir("bad");
    let f = dir.join("bad.yaml");
    std::fs::write(&f, "controller:\n  name: K\n  country: SE\nprocessing:\n  purpose: P\n  data_categories: [identity]\nflows:\n  - { from: controller, to: ghost, access: cleartext }\n").unwrap();
    let o = tia(&["assess", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        o.stdout.is_empty(),
        "nothing half-written: {}",
        text(&o.stdout)
    );
    let err = text(&o.stderr);
    assert!(err.contains(&format!("error: {}:8:", f.display())), "{err}");
    assert!(
        err.contains("unknown party `ghost`") && err.contains("expected:"),
        "{err}"
    );
}

#[test]
fn a_missing_file_or_unknown_policy_exits_2() {
    let o = tia(&["assess", "examples/nope.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read the model file"));
    let o = tia(&[
        "assess",
        "examples/lasia-2026.yaml",
        "--policy",
        "gdpr-basline",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean `gdpr-baseline`?"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn schema_is_a_json_schema_of_the_model() {
    let o = tia(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["$schema"].as_str().unwrap().contains("json-schema.org"));
    for key in [
        "controller",
        "processing",
        "parties",
        "flows",
        "risk_estimate",
    ] {
        assert!(v["properties"].get(key).is_some(), "schema lacks {key}");
    }
    let access = serde_json::to_string(&v["$defs"]["Access"]).unwrap();
    assert!(access.contains("storage_encrypted") && access.contains("remote_access"));
    assert!(access.contains("pseudonymised"));
    let defs = serde_json::to_string(&v["$defs"]).unwrap();
    for word in [
        "eu_institution",
        "participation",
        "necessary",
        "joint_controller",
        "recipient",
        "ownership_source",
        "until",
    ] {
        assert!(defs.contains(word), "schema lacks {word}");
    }
    // An `$id`, a title, and the knowledge ids as enums, so that editors complete and check them.
    assert_eq!(v["$id"], "urn:tia:model:schema:2.0");
    assert!(v["title"].as_str().unwrap().contains("data flows"));
    let countries = v["$defs"]["ControllerInput"]["properties"]["country"]["enum"]
        .as_array()
        .unwrap();
    assert!(countries.contains(&serde_json::json!("SE")));
    assert!(!countries.contains(&serde_json::json!("se")));
    let subjects =
        serde_json::to_string(&v["$defs"]["ProcessingInput"]["properties"]["data_subjects"])
            .unwrap();
    assert!(subjects.contains("social_services_clients"), "{subjects}");
    let vendors = serde_json::to_string(&v["$defs"]["PartyInput"]["properties"]["vendor"]).unwrap();
    assert!(vendors.contains("microsoft-ireland"), "{vendors}");
    // `{}` is not a model: an editor asks for the controller and the processing.
    assert_eq!(
        v["required"],
        serde_json::json!(["controller", "processing"])
    );
}

#[test]
fn the_committed_schema_is_current_and_every_example_points_an_editor_to_it() {
    let o = tia(&["schema"]);
    let committed = std::fs::read_to_string("schema/model.schema.json").unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write("schema/model.schema.json", &o.stdout).unwrap();
    } else {
        assert!(
            committed.as_bytes() == o.stdout.as_slice(),
            "schema/model.schema.json is not what `tia schema` prints; run `tia schema > schema/model.schema.json` (or UPDATE_GOLDEN=1 cargo test --test cli)"
        );
    }
    let mut examples = Vec::new();
    for dir in ["examples", "examples/procurement"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                examples.push(p);
            }
        }
    }
    assert!(examples.len() >= 10);
    for p in examples {
        let text = std::fs::read_to_string(&p).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let schema = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} does not start with the editor modeline", p.display()));
        let target = p.parent().unwrap().join(schema);
        assert!(
            target.exists(),
            "{}: {} does not exist",
            p.display(),
            target.display()
        );
    }
}

#[test]
fn knowledge_check_passes_on_the_bundled_knowledge() {
    let o = tia(&["knowledge", "check", "--today", "2026-11-22"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("— ok"));
}

#[test]
fn knowledge_check_lists_entries_older_than_the_allowed_age() {
    let o = tia(&[
        "knowledge",
        "check",
        "--today",
        "2030-01-01",
        "--max-age-days",
        "365",
        "--fail-on-stale",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let out = text(&o.stdout);
    assert!(out.contains("stale: law `fisa-702`"), "{out}");
}

#[test]
fn knowledge_check_fails_on_a_dangling_reference() {
    let dir = temp_dir("kb-dangling");
    copy_dir(Path::new("knowledge"), &dir);
    let laws = dir.join("laws/us.yaml");
    let s = std::fs::read_to_string(&laws).unwrap();
    std::fs::write(&laws, s.replacen("jurisdiction: US", "jurisdiction: UX", 1)).unwrap();
    let o = tia(&["--knowledge", dir.to_str().unwrap(), "knowledge", "check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("unknown country code `UX`") && err.contains("laws/us.yaml:"),
        "{err}"
    );
}

/// Runs `knowledge check` on a copy of knowledge/ with one extra rule, given by its condition
/// and citations.
fn check_with_extra_rule(name: &str, when: &str, citations: &str) -> Output {
    let dir = temp_dir(name);
    copy_dir(Path::new("knowledge"), &dir);
    let rule = format!(
        "- id: X-1\n  question: foreign_access\n  basis: law\n  title: {{ sv: t, en: t }}\n  text: {{ sv: t, en: t }}\n  scope: processing\n  severity: info\n  when: {when}\n  effect: {{ default: inform }}\n  citations: {citations}\n  as_of: 2026-11-20\n"
    );
    std::fs::write(dir.join("rules/extra.yaml"), rule).unwrap();
    tia(&["--knowledge", dir.to_str().unwrap(), "knowledge", "check"])
}

#[test]
fn knowledge_check_fails_on_a_rule_without_a_source() {
    let o = check_with_extra_rule("kb-nosource", "{ dpia_required: true }", "[]");
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("rules/extra.yaml:") && err.contains("entry without a source"),
        "{err}"
    );
}

#[test]
fn knowledge_check_rejects_an_unknown_predicate_and_a_predicate_out_of_scope() {
    let o = check_with_extra_rule("kb-pred", "{ law: [fisa-702] }", "[{ source: gdpr }]");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("predicate `law` has no meaning in a rule of scope `processing`"),
        "{}",
        text(&o.stderr)
    );
    let o = check_with_extra_rule("kb-pred2", "{ lawz: [fisa-702] }", "[{ source: gdpr }]");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("unknown variant `lawz`"),
        "{}",
        text(&o.stderr)
    );
}

// --- Command-line conventions: `-`, closed pipes, file modes, exit codes, completions.

fn tia_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(args)
        .env_remove("TIA_KNOWLEDGE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_dash_reads_the_model_from_standard_input_and_writes_to_standard_output() {
    let model = std::fs::read("examples/lasia-2026.yaml").unwrap();
    let o = tia_with_stdin(
        &["assess", "-", "--format", "json", "--as-of", "2026-11-01"],
        &model,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["file"], "<stdin>");
    assert_eq!(v["input_sha256"], tia::model::sha256_hex(&model));
    // `--data -` prints the document's data; nothing is written to a file named `-`.
    let dir = temp_dir("dash");
    let o = Command::new(env!("CARGO_BIN_EXE_tia"))
        .current_dir(&dir)
        .args(["memo", "--data", "-"])
        .arg(std::fs::canonicalize("examples/lasia-2026.yaml").unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("\"format\": \"tia-document\""),
        "{}",
        text(&o.stdout)
    );
    assert!(!dir.join("-").exists());
}

#[test]
fn a_model_with_a_byte_order_mark_is_read() {
    let mut model = "\u{feff}".as_bytes().to_vec();
    model.extend(std::fs::read("examples/lasia-2026.yaml").unwrap());
    let o = tia_with_stdin(&["assess", "-", "--format", "json"], &model);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn a_closed_pipe_ends_the_command_without_a_panic() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(["assess", "examples/stockholm-m365.yaml", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    assert_ne!(status.code(), Some(101), "{status:?}");
}

#[cfg(unix)]
#[test]
fn written_files_get_the_mode_the_umask_gives() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("umask");
    let out = dir.join("report.json");
    // The test process's umask is inherited; 022 is the usual one, and the mode follows it.
    let o = tia(&[
        "compare",
        "examples/procurement/microsoft-365.yaml",
        "examples/procurement/nextcloud-safespring.yaml",
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    let umask = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022);
    assert_eq!(mode, 0o666 & !umask, "mode {mode:o}, umask {umask:o}");
}

#[test]
fn an_output_path_that_cannot_be_written_is_bad_input() {
    let o = tia(&[
        "compare",
        "examples/procurement/microsoft-365.yaml",
        "--format",
        "json",
        "-o",
        "/nonexistent-folder/x.json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).starts_with("error: cannot write /nonexistent-folder/x.json"));
    assert!(text(&o.stderr).contains("hint:"));
}

#[test]
fn a_server_configuration_error_exits_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args([
            "serve",
            "--db",
            "sqlite:///nonexistent-folder/tia.db",
            "--addr",
            "127.0.0.1:0",
        ])
        .env("TIA_API_TOKEN", "a-token-of-enough-length")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("error: cannot open the database"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour when not a terminal: {err}"
    );
}

#[test]
fn serve_honours_the_knowledge_folder_and_refuses_a_bad_one() {
    let dir = temp_dir("serve-knowledge");
    let o = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--knowledge",
            "/nonexistent-knowledge",
            "--db",
        ])
        .arg(dir.join("tia.db"))
        .env("TIA_API_TOKEN", "a-token-of-enough-length")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("--knowledge /nonexistent-knowledge"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn completions_and_the_manual_page_are_generated() {
    let o = tia(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("_tia()"), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("assess"));
    let o = tia(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains(".TH tia"), "{}", text(&o.stdout));
}

/// The committed schema, as an editor's YAML language server uses it: every example is valid,
/// and an unknown country, category or vendor, a missing controller, or `{}` are not.
#[test]
fn the_schema_accepts_every_example_and_rejects_unknown_ids() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/model.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut seen = 0;
    for dir in ["examples", "examples/procurement"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let model: serde_json::Value =
                tia::yaml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&model)
                .take(3)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", p.display());
            seen += 1;
        }
    }
    assert!(seen >= 10);
    let base: serde_json::Value =
        tia::yaml::from_str(&std::fs::read_to_string("examples/stockholm-m365.yaml").unwrap())
            .unwrap();
    type Mutation = (&'static str, fn(&mut serde_json::Value));
    let mutations: [Mutation; 5] = [
        ("an unknown country", |m| {
            m["controller"]["country"] = "XX".into()
        }),
        ("a lower-case country", |m| {
            m["parties"][0]["incorporated"] = "ie".into()
        }),
        ("an unknown data category", |m| {
            m["flows"][0]["data_categories"] = serde_json::json!(["identity", "shoe_size"])
        }),
        ("no controller", |m| {
            m.as_object_mut().unwrap().remove("controller");
        }),
        ("an empty document", |m| *m = serde_json::json!({})),
    ];
    for (what, mutate) in mutations {
        let mut m = base.clone();
        mutate(&mut m);
        assert!(!validator.is_valid(&m), "the schema accepts {what}");
    }
}

/// A model too large to lay out as a document is refused before typst starts: exit 2, the
/// reason and what to do, and no PDF. Its JSON report is still available.
#[test]
fn a_memo_of_a_model_too_large_to_lay_out_is_refused_up_front() {
    let dir = temp_dir("too-large");
    let n = tia::memo::MAX_DOCUMENT_PARTIES + 1;
    let model = common::wide_model(n);
    let file = dir.join("big.yaml");
    std::fs::write(&file, model).unwrap();
    let pdf = dir.join("big.pdf");
    let o = tia(&["memo", file.to_str().unwrap(), "-o", pdf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("501 parties") && err.contains("JSON report"),
        "{err}"
    );
    assert!(!pdf.exists(), "no PDF is written");
    let o = tia(&["assess", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn knowledge_list_and_show_give_the_ids_a_model_may_use() {
    let o = tia(&["knowledge", "list", "countries", "--search", "tyskland"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("DE  Tyskland"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let o = tia(&[
        "knowledge",
        "list",
        "vendors",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    assert!(o.status.success());
    let items: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ms = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "microsoft-corp")
        .expect("the catalogue lists Microsoft Corporation");
    assert_eq!(ms["name"], "Microsoft Corporation");
    for kind in ["categories", "subjects", "measures", "profiles", "laws"] {
        let o = tia(&["knowledge", "list", kind]);
        assert!(o.status.success() && !o.stdout.is_empty(), "{kind}");
    }
    let o = tia(&["knowledge", "show", "cloud-act", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(shown[0]["kind"], "law");
    assert_eq!(shown[0]["entry"]["jurisdiction"], "US");
    let o = tia(&["knowledge", "show", "no-such-entry"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("tia knowledge list"));
}

#[test]
fn init_writes_a_model_that_assesses_and_refuses_what_it_cannot_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("first.yaml");
    let out_s = out.to_str().unwrap();
    let args = [
        "init",
        out_s,
        "--controller",
        "Exempel kommun",
        "--country",
        "Sverige",
        "--kind",
        "public-body",
        "--purpose",
        "Lönehantering: löner och frånvaro",
        "--subjects",
        "employees",
        "--categories",
        "identity,contact,national_id",
        "--processor",
        "microsoft-ireland",
        "--no-input",
    ];
    let o = tia(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("country: SE") && text.contains("vendor: microsoft-ireland"));
    let o = tia(&["assess", out_s, "--format", "json"]);
    assert!(o.status.success() || o.status.code() == Some(0));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        report["verdict"], "not_acceptable",
        "a US-owned processor in the clear"
    );
    // Never over an existing file without --force; a missing answer names its flag.
    let o = tia(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    let o = tia(&["init", "-", "--controller", "X", "--no-input"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--purpose"));
    // An unknown country or category is refused with what was meant.
    let o = tia(&[
        "init",
        "-",
        "--controller",
        "X",
        "--country",
        "Tysklant",
        "--kind",
        "company",
        "--purpose",
        "p",
        "--subjects",
        "employees",
        "--categories",
        "identity",
        "--processor",
        "microsoft-corp",
        "--no-input",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing is written");
}

#[test]
fn bad_input_is_explained_in_the_language_asked_for_and_still_exits_2() {
    let dir = temp_dir("bad-sv");
    let f = dir.join("bad.yaml");
    std::fs::write(&f, "controller:\n  name: K\n  country: Sverige\nprocessing:\n  purpose: P\n  data_categories: [identity]\n").unwrap();
    let out = dir.join("memo.json");
    let o = tia(&["assess", f.to_str().unwrap(), "--lang", "sv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "fel: {}:3:12: okänd landskod `Sverige`",
            f.display()
        )),
        "{err}"
    );
    assert!(err.contains("\n  förväntat: en landskod"), "{err}");
    assert!(err.contains("\n  tips: menade du `SE`?"), "{err}");
    // TIA_LANG when the command has no --lang; nothing written.
    let o = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(["memo", f.to_str().unwrap(), "--data", out.to_str().unwrap()])
        .env_remove("TIA_KNOWLEDGE")
        .env("TIA_LANG", "da")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("fejl: ") && err.contains("ukendt landekode `Sverige`"),
        "{err}"
    );
    assert!(err.contains("tip: mente du `SE`?"), "{err}");
    assert!(!out.exists(), "nothing written");
    // English by default.
    let o = tia(&["assess", f.to_str().unwrap()]);
    assert!(text(&o.stderr).contains("unknown country code `Sverige`"));
}
