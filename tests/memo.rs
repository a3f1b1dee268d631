//! The documents: golden Typst sources, real PDFs compiled by the real `typst` and read back
//! with `pdftotext`, escaping of hostile text, and the typst wrapper's failure modes.
//!
//! Needs `typst` (PATH or TYPST_BIN) and `pdftotext` (Debian's poppler-utils); the README's
//! set-up and `.ci/run` install both when missing. Set UPDATE_GOLDEN=1 to rewrite the golden
//! sources after reviewing the change.

mod common;

use common::{date, kb, opts};
use std::path::{Path, PathBuf};
use std::process::Command;
use tia::memo::Renderer;
use tia::typst::{Document, Typst, TypstError};
use tia::{assess, load_model, Knowledge, Model, Report};

fn assessed(path: &str, lang: Option<tia::model::Lang>) -> (Knowledge, Model, Report) {
    let kb = kb();
    let text = std::fs::read_to_string(path).unwrap();
    let model = load_model(&text, path, &kb).unwrap();
    let mut o = opts(None, "2026-11-01");
    o.lang = lang;
    let report = assess(&model, &kb, &o).unwrap();
    (kb, model, report)
}

fn typst() -> Typst {
    Typst::locate().unwrap_or_else(|e| {
        panic!("these tests compile real PDFs: {e}");
    })
}

/// The PDF's text, via pdftotext.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed (apt-get install poppler-utils): {e}"));
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Text without whitespace and hyphens, so line breaks and hyphenation do not matter.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '\u{ad}')
        .collect()
}

fn assert_has(text: &str, needles: &[&str]) {
    let hay = squash(text);
    for n in needles {
        assert!(
            hay.contains(&squash(n)),
            "the PDF should contain {n:?}; its text is:\n{text}"
        );
    }
}

fn render(doc: &Document) -> String {
    let pdf = typst().compile(doc).unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF-"));
    pdf_text(&pdf)
}

fn golden(name: &str, source: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, source).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with UPDATE_GOLDEN=1 and review it",
            path.display()
        )
    });
    if want != source {
        let line = want
            .lines()
            .zip(source.lines())
            .position(|(a, b)| a != b)
            .map_or(want.lines().count().min(source.lines().count()), |i| i);
        panic!(
            "{name} differs from the golden source at line {}:\n  golden:    {:?}\n  generated: {:?}\nreview the change and run with UPDATE_GOLDEN=1",
            line + 1,
            want.lines().nth(line),
            source.lines().nth(line)
        );
    }
}

#[test]
fn stockholm_memo_in_swedish_has_every_section_the_verdict_and_the_recommendation() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    golden("stockholm-m365.memo.sv.typ", &doc.source);
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "BESLUTSUNDERLAG",
            "1 Sammanfattning",
            "2 Bakgrund",
            "3 Analys",
            "4 Alternativa handlingsvägar",
            "5 Förslag till beslut",
            "Bilagor",
            "Regelspårning",
            "Kunskapsunderlag",
            "Spårbarhet",
            "Ej godtagbar",
            "De tre rättsliga frågorna",
            "Avgörande: Överföringar till tredjeland (kapitel V) och Utländsk åtkomst utan överföring",
            // Prior consultation follows the course: required only if introduced as modelled.
            "Om tjänsten införs som den är modellerad krävs förhandssamråd med IMY; efter den rekommenderade handlingsvägen krävs det inte.",
            "Microsoft Ireland Operations Limited",
            "Microsoft Corporation (India) Private Limited",
            // The explanation chain of an exposure.
            "Microsoft Ireland Operations Limited (IE) → ägs till 100 % av Microsoft Corporation (US) → CLOUD Act §2713",
            // The recommended option and the infeasible one with its reason.
            "Byta till EU/EES-kontrollerade leverantörer (rekommenderas)",
            "EDPB användningsfall 6",
            &report.input_sha256,
            "Sida 1 av",
        ],
    );
    // Swedish only: none of the English headings.
    for english in ["Summary", "Background", "Proposed decision", "Appendices"] {
        assert!(!text.contains(english), "{english} in the Swedish memo");
    }
}

#[test]
fn stockholm_memo_in_english_is_a_complete_translation() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", Some(tia::model::Lang::En));
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    golden("stockholm-m365.memo.en.typ", &doc.source);
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "DECISION MEMO",
            "1 Summary",
            "2 Background",
            "3 Analysis",
            "4 Alternative courses of action",
            "5 Proposed decision",
            "Appendices",
            "Not acceptable",
            "The three legal questions",
            "If the service is introduced as modelled, prior consultation with IMY is required",
            "Switch to EU/EEA-controlled providers",
            "Page 1 of",
        ],
    );
    // Swedish source titles are cited as they are; no Swedish wording of ours remains.
    for swedish in [
        "1 Sammanfattning",
        "2 Bakgrund",
        "5 Förslag till beslut",
        "Bilagor",
        "Ej godtagbar",
        "ägs till",
        "Sida ",
        "Personuppgiftsbiträde",
        "klartext",
    ] {
        assert!(!text.contains(swedish), "{swedish:?} in the English memo");
    }
}

#[test]
fn a_memo_with_unverified_owners_asks_to_verify_them() {
    let (kb, model, report) = assessed("examples/lasia-2026.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    golden("lasia-2026.memo.sv.typ", &doc.source);
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "Godtagbar med åtgärder",
            "Lasia AB",
            "Elastx AB",
            "TeamViewer Germany GmbH",
            "Vem som äger parten är okänt",
            "Kontrollera ägarna i bolagsregistret",
            "Förhandssamråd med IMY krävs inte.",
        ],
    );
    assert!(!squash(&text).contains(&squash("Ej godtagbar\nAtt lämna")));
}

#[test]
fn consult_pack_follows_article_36_3_and_says_the_dpo_is_missing() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", None);
    assert!(report.controller.dpo.is_none());
    let doc = Renderer::new()
        .unwrap()
        .consult(&model, &report, &kb)
        .unwrap();
    golden("stockholm-m365.consult.sv.typ", &doc.source);
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "UNDERLAG FÖR FÖRHANDSSAMRÅD",
            "a) Ansvarsfördelning mellan personuppgiftsansvarig och biträden",
            "b) Ändamålen med och medlen för behandlingen",
            "c) Åtgärder och skyddsåtgärder",
            "d) Kontaktuppgifter till dataskyddsombudet",
            "UPPGIFT SAKNAS: modellen anger inget dataskyddsombud",
            "e) Konsekvensbedömning (art. 35)",
            "f) Övriga upplysningar",
            "Biträdets garantier enligt artikel 28",
            "Verkan av artikel 48",
            "Fortsatt behandling efter införandet",
            // The sections IMY asked for cite their sources (rule STH-8's citations).
            "IMY:s yttrande i förhandssamråd om Azure AD och Teams",
            "Art. 28, 36, 48",
            "Microsoft Ireland Operations Limited",
            "CLOUD Act",
        ],
    );
}

#[test]
fn consult_pack_shows_the_dpo_when_the_model_names_one() {
    let kb = kb();
    let text = std::fs::read_to_string("examples/stockholm-m365.yaml")
        .unwrap()
        .replace(
            "  kind: public_body\n",
            "  kind: public_body\n  dpo: { name: Dana Dataskydd, email: dso@example.se, phone: \"08-123 45\" }\n",
        );
    let model = load_model(&text, "dpo.yaml", &kb).unwrap();
    assert!(
        model.controller.dpo.is_some(),
        "the replacement found its place"
    );
    let report = assess(&model, &kb, &opts(None, "2026-11-01")).unwrap();
    let doc = Renderer::new()
        .unwrap()
        .consult(&model, &report, &kb)
        .unwrap();
    let text = render(&doc);
    assert_has(&text, &["Dana Dataskydd", "dso@example.se", "08-123 45"]);
    assert!(!text.contains("UPPGIFT SAKNAS"));
}

#[test]
fn hostile_names_appear_literally_and_never_run() {
    let kb = kb();
    let hostile = r#"#read("/etc/passwd") ] *bold* $x$ <label> @ref \ = Heading"#;
    let yaml = format!(
        r#"
assessment:
  title: 'Title #set page(width: 1cm) ]'
  description: '#import "@preview/cetz:0.3.0" /* // {hostile}'
controller:
  name: 'Kommun */ #panic("boom")'
  country: SE
processing:
  purpose: '{hostile}'
  data_subjects: [employees]
  data_categories: [identity]
parties:
  - id: p
    name: '{hostile}'
    role: processor
    incorporated: US
    locations: [US]
    service: '`raw` _emph_ ~ -- \u{{41}} #"quoted"'
flows:
  - from: controller
    to: p
    access: cleartext
    purpose: '{hostile}'
"#
    );
    let model = load_model(&yaml, "hostile.yaml", &kb).unwrap();
    let report = assess(&model, &kb, &opts(None, "2026-11-01")).unwrap();
    let r = Renderer::new().unwrap();
    for doc in [
        r.memo(&model, &report, &kb).unwrap(),
        r.consult(&model, &report, &kb).unwrap(),
    ] {
        let text = render(&doc);
        assert_has(
            &text,
            &[
                r#"#read("/etc/passwd") ] *bold* $x$ <label> @ref \ = Heading"#,
                "Kommun */ #panic(\"boom\")",
                "Title #set page(width: 1cm) ]",
                r#"`raw` _emph_ ~ -- \u{41} #"quoted""#,
            ],
        );
        assert!(!text.contains("root:x:0"), "/etc/passwd was read");
        // `#panic` never ran (the compile succeeded): "boom" only appears inside the literal name.
        let squashed = squash(&text);
        assert_eq!(
            squashed.matches("boom").count(),
            squashed.matches(&squash("#panic(\"boom\")")).count()
        );
    }
}

#[test]
fn diff_report_shows_the_lasia_change_and_the_last_day_to_object() {
    let kb = kb();
    let (_, old_model, old) = assessed("examples/lasia-2024.yaml", None);
    let (_, new_model, new) = assessed("examples/lasia-2026.yaml", None);
    let change = tia::diff::diff(
        &old_model,
        &old,
        &new_model,
        &new,
        &tia::diff::DiffOptions {
            notice_date: Some(date("2025-11-16")),
            objection_days: None,
        },
    );
    let doc = Renderer::new()
        .unwrap()
        .diff(&change, new.language, &kb)
        .unwrap();
    golden("lasia.diff.sv.typ", &doc.source);
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "ÄNDRINGSRAPPORT",
            "Bedömningen förbättras: Ej godtagbar → Godtagbar med åtgärder.",
            "Sista dag att invända: 2025-12-15.",
            "ändringen gäller från 2025-12-16",
            "Tillkomna",
            "Elastx AB",
            "TeamViewer Germany GmbH",
            "Borttagna",
            "Microsoft Ireland Operations Limited",
            "Amazon Web Services EMEA SARL",
            "Försvinner",
        ],
    );
}

#[test]
fn comparison_ranks_the_eu_suite_first() {
    let kb = kb();
    let mut files: Vec<_> = std::fs::read_dir("examples/procurement")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    files.sort();
    let reports: Vec<Report> = files.iter().map(|f| assessed(f, None).2).collect();
    let comparison = tia::compare::compare(&kb, &reports).unwrap();
    let doc = Renderer::new().unwrap().compare(&comparison, &kb).unwrap();
    golden("procurement.compare.sv.typ", &doc.source);
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "JÄMFÖRELSE AV LEVERANTÖRER",
            "1. Samarbetsplattform – anbud Nextcloud hos Safespring",
            "Safespring AB",
            "Microsoft Ireland Operations Limited",
            "FISA §702",
            "Ej godtagbar",
            "Godtagbar",
        ],
    );
}

#[test]
fn typst_failure_reports_typst_diagnostics() {
    let doc = Document {
        source: "#let x = (\n".into(),
        date: date("2026-11-01"),
    };
    match typst().compile(&doc) {
        Err(TypstError::Failed { diagnostics }) => {
            assert!(
                diagnostics.contains("main.typ:1:")
                    && diagnostics.contains("error: unclosed delimiter"),
                "{diagnostics}"
            );
        }
        other => panic!("expected a compile failure, got {other:?}"),
    }
}

#[test]
fn typst_cannot_read_outside_its_private_root() {
    let doc = Document {
        source: "#read(\"/etc/hostname\")\n".into(),
        date: date("2026-11-01"),
    };
    // Inside --root, "/etc/hostname" is resolved against the private folder and is not there.
    match typst().compile(&doc) {
        Err(TypstError::Failed { diagnostics }) => {
            assert!(diagnostics.contains("not found"), "{diagnostics}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_hanging_typst_is_stopped_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("typst");
    std::fs::write(&fake, "#!/bin/sh\nsleep 30\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let t = Typst {
        bin: fake,
        timeout: std::time::Duration::from_millis(300),
    };
    let started = std::time::Instant::now();
    let doc = Document {
        source: "x".into(),
        date: date("2026-11-01"),
    };
    assert!(matches!(t.compile(&doc), Err(TypstError::Timeout(_))));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn same_input_gives_the_same_pdf() {
    let (kb, model, report) = assessed("examples/lasia-2026.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let a = typst().compile(&doc).unwrap();
    let b = typst().compile(&doc).unwrap();
    assert!(
        a == b,
        "typst output is reproducible with SOURCE_DATE_EPOCH"
    );
}

fn tia() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tia"))
}

#[test]
fn cli_without_typst_says_how_to_install_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("memo.pdf");
    let out = tia()
        .args(["memo", "examples/lasia-2026.yaml", "-o"])
        .arg(&pdf)
        .env("PATH", dir.path())
        .env("HOME", dir.path())
        .env_remove("TYPST_BIN")
        .env_remove("TIA_TOOLS")
        .env_remove("CARGO_HOME")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.starts_with("error: typst was not found"), "{err}");
    assert!(err.contains("cargo install --locked typst-cli"), "{err}");
    assert!(!pdf.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let out = tia()
        .args(["memo", "examples/lasia-2026.yaml", "-o"])
        .arg(&pdf)
        .env("TYPST_BIN", dir.path().join("no-such-typst"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TYPST_BIN="));
    assert!(!pdf.exists());
}

#[test]
fn cli_typ_only_needs_no_typst_and_writes_no_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let typ = dir.path().join("memo.typ");
    let out = tia()
        .args([
            "memo",
            "examples/lasia-2026.yaml",
            "--as-of",
            "2026-11-01",
            "--typ",
        ])
        .arg(&typ)
        .env("PATH", dir.path())
        .env("HOME", dir.path())
        .env_remove("TYPST_BIN")
        .env_remove("TIA_TOOLS")
        .env_remove("CARGO_HOME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&typ).unwrap();
    assert!(written.contains("= Sammanfattning"));
    assert!(written.contains("Lasia AB"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn cli_memo_bad_model_is_exit_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bad.yaml");
    std::fs::write(&model, "controller: { name: X, country: XX }\n").unwrap();
    let pdf = dir.path().join("out.pdf");
    let out = tia()
        .arg("memo")
        .arg(&model)
        .arg("-o")
        .arg(&pdf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!pdf.exists());
}

#[test]
fn cli_diff_and_compare_json() {
    let out = tia()
        .args([
            "diff",
            "examples/lasia-2024.yaml",
            "examples/lasia-2026.yaml",
            "--notice-date",
            "2025-11-16",
            "--as-of",
            "2026-11-01",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict_change"], "improved");
    assert_eq!(v["last_day_to_object"], "2025-12-15");

    let mut cmd = tia();
    cmd.args(["compare", "--format", "json", "--as-of", "2026-11-01"]);
    for f in ["microsoft-365", "nextcloud-safespring"] {
        cmd.arg(format!("examples/procurement/{f}.yaml"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"][0]["verdict"], "acceptable");
    assert_eq!(v["entries"][1]["verdict"], "not_acceptable");
}

#[test]
fn cli_memo_writes_a_pdf() {
    typst();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("lasia.pdf");
    let out = tia()
        .args(["memo", "examples/lasia-2026.yaml", "--lang", "en", "-o"])
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = pdf_text(&std::fs::read(&pdf).unwrap());
    assert_has(&text, &["DECISION MEMO", "Acceptable", "Lasia AB"]);
    assert!(Path::new(&pdf).exists());
}
