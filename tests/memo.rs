//! The documents: real PDFs compiled by the real `typst` from the JSON-fed templates, read back
//! with `pdftotext` (the words, page by page) and `tests/pdfcheck.py` (PDF/A and PDF/UA
//! identification, metadata, structure tree); hostile and unprintable text; the typst
//! wrapper's failure modes.
//!
//! Needs `typst`, the bundled Noto fonts, `pdftotext` and pikepdf; `scripts/test` installs
//! them when missing. Set UPDATE_GOLDEN=1 to rewrite the golden page-1 data after reviewing it.

mod common;

use common::{date, kb, opts};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tia::memo::Renderer;
use tia::model::Lang;
use tia::typst::{Document, Typst, TypstError};
use tia::{assess, load_model, Knowledge, Model, Report};

fn assessed(path: &str, lang: Option<Lang>) -> (Knowledge, Model, Report) {
    let kb = kb();
    let text = std::fs::read_to_string(path).unwrap();
    assessed_text(&kb, &text, path, lang)
}

fn assessed_text(
    kb: &Knowledge,
    text: &str,
    path: &str,
    lang: Option<Lang>,
) -> (Knowledge, Model, Report) {
    let model = load_model(text, path, kb).unwrap();
    let mut o = opts(None, "2026-11-01");
    o.lang = lang;
    let report = assess(&model, kb, &o).unwrap();
    (kb.clone(), model, report)
}

fn typst() -> Typst {
    let t = Typst::locate().unwrap_or_else(|e| {
        panic!("these tests compile real PDFs: {e}");
    });
    assert!(
        t.fonts.is_some(),
        "the bundled Noto fonts are missing: run scripts/test (it installs them into ~/.local/share/tia/tools/fonts) or set TIA_FONTS"
    );
    t
}

/// The PDF's text, via pdftotext; `page` limits it to one page.
fn pdf_text_pages(pdf: &[u8], page: Option<usize>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new("pdftotext");
    cmd.args(["-enc", "UTF-8"]);
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = cmd
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed (apt-get install poppler-utils): {e}"));
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

fn pdf_text(pdf: &[u8]) -> String {
    pdf_text_pages(pdf, None)
}

/// Every page's text, in order (pdftotext separates pages with a form feed).
fn pages(pdf: &[u8]) -> Vec<String> {
    pdf_text(pdf).split('\u{c}').map(str::to_string).collect()
}

/// The running text without page headers and footers, so a paragraph split across two pages
/// reads whole.
fn running_text(pdf: &[u8], kind_title: &str, date: &str) -> String {
    pdf_text(pdf)
        .lines()
        .filter(|l| {
            let l = l.trim();
            !(l.starts_with(&format!("{kind_title} · "))
                || l == date
                || l.contains("Framtaget med tia")
                || (l.starts_with("Sida ") && l.contains(" av ")))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of the pages before the appendices (sections 1–5), found by the appendix heading.
fn body_text(pdf: &[u8], appendix_marker: &str) -> String {
    let all = pages(pdf);
    let end = all
        .iter()
        .position(|p| squash(p).contains(appendix_marker))
        .unwrap_or_else(|| panic!("no {appendix_marker} in the PDF"));
    all[..end].join("")
}

/// What tests/pdfcheck.py reads from the PDF: pdfa, pdfua, title, author, subject, keywords,
/// lang, headings, figures, fonts.
fn pdf_check(pdf: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let python = std::env::var_os("TIA_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            let tools = std::env::var_os("TIA_TOOLS")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/tia/tools")))?;
            Some(tools.join("venv/bin/python")).filter(|p| p.exists())
        })
        .unwrap_or_else(|| panic!("pikepdf is needed: run scripts/test (it makes ~/.local/share/tia/tools/venv) or set TIA_PYTHON"));
    let out = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pdfcheck.py"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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

fn assert_lacks(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(!text.contains(n), "{n:?} should not be in:\n{text}");
    }
}

fn compile(doc: &Document) -> Vec<u8> {
    let pdf = typst().compile(doc).unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF-"));
    pdf
}

fn render(doc: &Document) -> String {
    pdf_text(&compile(doc))
}

fn golden(name: &str, value: &Value) {
    let text = format!("{}\n", serde_json::to_string_pretty(value).unwrap());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with UPDATE_GOLDEN=1 and review it",
            path.display()
        )
    });
    assert!(
        want == text,
        "{name} differs from the golden data; review the change and run with UPDATE_GOLDEN=1\n{text}"
    );
}

/// The rule ids of the knowledge base, e.g. STH-1, EXP-1.
fn rule_ids(kb: &Knowledge) -> Vec<String> {
    kb.rules.iter().map(|r| r.id.clone()).collect()
}

/// Asserts the PDF is PDF/A-2b and PDF/UA-1 with the document's metadata, headings that never
/// skip a level, and alt text on every figure.
fn assert_archival(pdf: &[u8], author: &str, lang: &str) -> Value {
    let c = pdf_check(pdf);
    assert_eq!(c["pdfa"], "2B", "{c}");
    assert_eq!(c["pdfua"], "1", "{c}");
    assert_eq!(c["author"], author, "{c}");
    assert_eq!(c["lang"], lang, "{c}");
    assert!(c["title"].as_str().is_some_and(|t| !t.is_empty()), "{c}");
    assert!(c["subject"].as_str().is_some_and(|t| !t.is_empty()), "{c}");
    assert!(
        c["keywords"].as_str().is_some_and(|t| t.contains("GDPR")),
        "{c}"
    );
    let levels: Vec<usize> = c["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().trim_start_matches('H').parse().unwrap())
        .collect();
    assert_eq!(levels.first(), Some(&1), "{c}");
    for w in levels.windows(2) {
        assert!(w[1] <= w[0] + 1, "a heading level is skipped: {levels:?}");
    }
    for f in c["figures"].as_array().unwrap() {
        assert!(
            f.as_str().is_some_and(|a| a.len() > 20),
            "a figure lacks alt text: {c}"
        );
    }
    c
}

#[test]
fn stockholm_memo_page_one_is_a_decision_a_board_can_read_in_a_minute() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    golden(
        "stockholm-m365.page1.sv.json",
        &serde_json::json!({ "summary": doc.data["summary"], "decision": doc.data["decision"] }),
    );
    let pdf = compile(&doc);
    let pages = pages(&pdf);
    let page1 = &pages[0];
    assert_has(
        page1,
        &[
            "BESLUTSUNDERLAG",
            "1 Sammanfattning",
            "Får Stockholms stad (kommunstyrelsen) lämna personuppgifter till",
            "Ej godtagbar",
            "Personuppgifterna kan inte lämnas till tjänsten i den form som underlaget beskriver.",
            // One sentence for the root cause: the provider's US parent.
            "Microsoft Corporation (USA) och de bolag det äger i kedjan (Microsoft Ireland Operations Limited och Microsoft Corporation (India) Private Limited) kan tvingas lämna ut uppgifterna",
            "De tre rättsliga frågorna",
            "Överföringar till tredjeland (kapitel V): Hinder",
            "Nationell offentligrätt: Inget hinder",
            // Prior consultation is conditional and follows the course.
            "Om tjänsten införs i den form som underlaget beskriver krävs förhandssamråd med IMY; efter den rekommenderade handlingsvägen krävs det inte.",
            // The decision, in the organ's name, as numbered att-satser.
            "Förslag till beslut",
            "Kommunstyrelsen beslutar att",
            "1. inte införa",
            "2. uppdra åt stadsdirektören att ta fram ett alternativ med leverantörer som är bildade, ägda och verksamma inom EU/EES och återrapportera senast den 1 februari 2027,",
        ],
    );
    for id in rule_ids(&kb) {
        assert!(
            !page1.contains(&format!("{id} ")) && !page1.contains(&format!("{id}:")),
            "rule id {id} on page 1:\n{page1}"
        );
    }
    let causes = doc.data["summary"]["causes"].as_array().unwrap();
    assert!((1..=6).contains(&causes.len()), "{causes:?}");
    // The body (sections 1–5) ends by page 6: the appendices start on page 7 at the latest.
    let appendix = pages
        .iter()
        .position(|p| squash(p).contains("BilagorAIakttagelser"))
        .expect("the appendices");
    assert!(
        appendix <= 6,
        "the appendices start on page {}",
        appendix + 1
    );
    assert!(
        pages[..appendix]
            .iter()
            .any(|p| p.contains("5 Förslag till beslut")),
        "section 5 is in the body"
    );
    // Every distinct finding text appears once, with the parties it concerns.
    let all = squash(&running_text(
        &pdf,
        "Beslutsunderlag",
        doc.data["meta"]["date"].as_str().unwrap(),
    ));
    for g in doc.data["appendix"]["findings"].as_array().unwrap() {
        let text = squash(g["text"].as_str().unwrap());
        assert_eq!(all.matches(&text).count(), 1, "{text}");
    }
    // The same reasoning about three parties reads once (STH-5 and OSL 10:2 a once each).
    for rule in ["STH-5", "OSL-10-2A"] {
        let n = doc.data["appendix"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["rule"] == rule)
            .count();
        assert_eq!(n, 1, "{rule} appears {n} times");
    }
    assert_has(
        &pages.join(""),
        &[
            "2 Bakgrund",
            "3 Analys",
            "4 Alternativa handlingsvägar",
            "Bilagor",
            "Regelspårning",
            "Kunskapsunderlag",
            "Spårbarhet",
            "Microsoft Ireland Operations Limited (IE) → ägs till 100 % av Microsoft Corporation (US)",
            "Byta till EU/EES-kontrollerade leverantörer (rekommenderas)",
            "45 000",
            &report.input_sha256,
            "Sida 1 av",
        ],
    );
    // No engine words (legal review §4).
    let text = pages.join("");
    assert_lacks(
        &text,
        &[
            "som den är modellerad",
            "iakttagelser hindrar",
            "slog till",
            "Motorn",
            "motorn",
            "45000",
        ],
    );
    assert_archival(&pdf, "Stockholms stad (kommunstyrelsen)", "sv");
}

#[test]
fn stockholm_memo_in_english_is_a_complete_translation() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", Some(Lang::En));
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let pdf = compile(&doc);
    let text = pdf_text(&pdf);
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
            "It is proposed that Kommunstyrelsen decides",
            "not to introduce",
            "If the service is introduced in the form described, prior consultation with IMY is required",
            "Switch to EU/EEA-controlled providers",
            "Page 1 of",
        ],
    );
    // Swedish source titles are cited as they are; no Swedish wording of ours remains.
    assert_lacks(
        &text,
        &[
            "1 Sammanfattning",
            "2 Bakgrund",
            "5 Förslag till beslut",
            "Bilagor",
            "Ej godtagbar",
            "ägs till",
            "Sida ",
            "Personuppgiftsbiträde",
            "klartext",
            "beslutar att",
        ],
    );
    assert_archival(&pdf, "Stockholms stad (kommunstyrelsen)", "en");
}

#[test]
fn a_danish_municipality_gets_a_danish_memo_to_datatilsynet() {
    let (kb, model, report) = assessed("examples/dk-municipality-chromebook.yaml", None);
    assert_eq!(report.language, Lang::Da);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let pdf = compile(&doc);
    let text = pdf_text(&pdf);
    assert_has(
        &text,
        &[
            "BESLUTNINGSNOTAT",
            "1 Sammenfatning",
            "2 Baggrund",
            "3 Analyse",
            "4 Alternative handlemuligheder",
            "5 Indstilling",
            "Bilag",
            "Datatilsynet",
            "Det indstilles, at Børne- og Skoleudvalget beslutter",
            "Side 1 af",
        ],
    );
    // Swedish sources are cited by their titles in appendix A; the memo itself has no Swedish.
    let body = body_text(&pdf, "BilagAIagttagelser");
    assert_lacks(
        &body,
        &[
            "Sammanfattning",
            "Bakgrund",
            "Förslag till beslut",
            "Bilagor",
            "Personuppgiftsansvarig",
            "godtagbar",
            "beslutar att",
            "Sida ",
            "IMY",
            "personuppgift",
            "Underbiträde",
        ],
    );
    assert_archival(&pdf, "Eksempel Kommune (Børne- og Ungeforvaltningen)", "da");
}

#[test]
fn the_lessor_memo_names_datatilsynet_and_the_parent_that_causes_the_exposure() {
    let (kb, model, report) = assessed("examples/lessor.yaml", None);
    assert_eq!(report.language, Lang::Da);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let svg = doc.data["background"]["figure"]["svg"].as_str().unwrap();
    assert!(svg.contains("Paychex"), "the figure shows the parent");
    let alt = doc.data["background"]["figure"]["alt"].as_str().unwrap();
    assert!(alt.contains("Paychex"), "{alt}");
    let pdf = compile(&doc);
    let text = pdf_text(&pdf);
    assert_has(&text, &["Datatilsynet", "Paychex", "Bestyrelsen"]);
    let body = body_text(&pdf, "BilagAIagttagelser");
    assert_lacks(
        &body,
        &[
            "IMY",
            "SKR",
            "DIGG",
            "Integritetsskyddsmyndigheten",
            "Avisering",
            "personuppgift",
        ],
    );
    let check = assert_archival(&pdf, "Eksempel Produktion A/S", "da");
    assert!(check["figures"][0].as_str().unwrap().contains("Paychex"));
}

#[test]
fn every_document_in_every_language_is_pdf_a_and_pdf_ua() {
    let r = Renderer::new().unwrap();
    for lang in [Lang::Sv, Lang::En, Lang::Da] {
        let (kb, model, report) = assessed("examples/stockholm-m365.yaml", Some(lang));
        let (_, old_model, old) = assessed("examples/lasia-2024.yaml", Some(lang));
        let (_, new_model, new) = assessed("examples/lasia-2026.yaml", Some(lang));
        let change = tia::diff::diff(
            &old_model,
            &old,
            &new_model,
            &new,
            &tia::diff::DiffOptions {
                notice_date: Some(date("2025-11-16")),
                objection_days: None,
                today: Some(date("2026-12-02")),
            },
        );
        let reports: Vec<Report> = ["microsoft-365", "nextcloud-safespring"]
            .iter()
            .map(|f| assessed(&format!("examples/procurement/{f}.yaml"), Some(lang)).2)
            .collect();
        let comparison = tia::compare::compare(&kb, &reports).unwrap();
        let docs = [
            r.memo(&model, &report, &kb).unwrap(),
            r.consult(&model, &report, &kb).unwrap(),
            r.diff(&change, lang, &kb).unwrap(),
            r.compare(&comparison, &kb).unwrap(),
        ];
        for doc in docs {
            let pdf = compile(&doc);
            let c = pdf_check(&pdf);
            assert_eq!(
                (c["pdfa"].as_str(), c["pdfua"].as_str()),
                (Some("2B"), Some("1")),
                "{} {lang:?}: {c}",
                doc.kind
            );
            assert_eq!(c["lang"], lang.code(), "{} {lang:?}", doc.kind);
            assert_eq!(doc.data["format"], "tia-document");
            assert_eq!(doc.data["format_version"], tia::memo::DATA_VERSION);
        }
    }
}

#[test]
fn a_chinese_arabic_or_greek_name_prints_with_real_glyphs_and_an_unprintable_one_is_shown_as_such()
{
    let kb = kb();
    let yaml = r#"
controller: { name: Exempel kommun, country: SE, kind: public_body }
processing:
  purpose: Lönehantering
  data_subjects: [employees]
  data_categories: [identity]
parties:
  - id: p
    name: "北京数据有限公司 · شركة البيانات · Ελληνική ΑΕ · Облако · 😀 · 𝄞"
    role: processor
    incorporated: CN
    parents: none
    ownership_source: example
    locations: [CN]
flows:
  - { from: controller, to: p, access: cleartext }
"#;
    let (kb, model, report) = assessed_text(&kb, yaml, "cjk.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let pdf = compile(&doc);
    let text = pdf_text(&pdf);
    assert_has(
        &text,
        &[
            "北京数据有限公司",
            "شركة",
            "Ελληνική ΑΕ",
            "Облако",
            "[U+1D11E]",
        ],
    );
    assert_has(&text, &["har ersatts med sin kodpunkt"]);
    let c = pdf_check(&pdf);
    let fonts = c["fonts"].to_string();
    assert!(fonts.contains("NotoSansCJK"), "{fonts}");
    assert!(fonts.contains("Naskh"), "{fonts}");
}

#[test]
fn a_custom_template_folder_lays_out_the_same_data() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("memo.typ"),
        r#"#let d = json("data.json")
#set document(title: "Vår mall: " + d.meta.title, author: d.meta.author, description: d.meta.subject, keywords: d.meta.keywords)
#set text(lang: d.lang)
= Egen mall från kommunen
#d.summary.verdict_label – #d.summary.verdict_sentence
#for i in d.decision.items [ - #i ]
"#,
    )
    .unwrap();
    let t = typst().with_templates(Some(dir.path().to_path_buf()));
    let pdf = t.compile(&doc).unwrap_or_else(|e| panic!("{e}"));
    let text = pdf_text(&pdf);
    assert_has(
        &text,
        &["Egen mall från kommunen", "Ej godtagbar", "inte införa"],
    );
    assert_lacks(&text, &["Bakgrund"]);
    assert_eq!(pdf_check(&pdf)["pdfua"], "1");
}

#[test]
fn a_memo_with_unverified_owners_says_what_is_unknown() {
    let (kb, model, report) = assessed("examples/lasia-2026.yaml", None);
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "Godtagbar med åtgärder",
            "Lasia AB",
            "Elastx AB",
            "TeamViewer Germany GmbH",
            "Följande uppgifter är okända",
            "en utländsk ägare kan inte uteslutas",
            "Förhandssamråd med IMY krävs inte.",
        ],
    );
}

#[test]
fn consult_pack_follows_article_36_3_and_35_7_and_says_what_is_missing() {
    let (kb, model, report) = assessed("examples/stockholm-m365.yaml", None);
    assert!(report.controller.dpo.is_none());
    let doc = Renderer::new()
        .unwrap()
        .consult(&model, &report, &kb)
        .unwrap();
    let pdf = compile(&doc);
    let text = pdf_text(&pdf);
    assert_has(
        &text,
        &[
            "UNDERLAG FÖR FÖRHANDSSAMRÅD",
            "Till",
            "Integritetsskyddsmyndigheten (IMY)",
            "a) Ansvarsfördelning mellan personuppgiftsansvarig och biträden",
            "b) Ändamålen med och medlen för behandlingen",
            "c) Åtgärder och skyddsåtgärder",
            "d) Kontaktuppgifter till dataskyddsombudet",
            "UPPGIFT SAKNAS: underlaget anger inget dataskyddsombud",
            "Systematisk beskrivning av behandlingen (art. 35.7 a)",
            "Nödvändighet och proportionalitet (art. 35.7 b)",
            "Art. 6.1 e dataskyddsförordningen",
            "UPPGIFT SAKNAS: beskriv varför behandlingen är nödvändig",
            "Riskerna för de registrerades rättigheter och friheter (art. 35.7 c)",
            "Planerade åtgärder för att hantera riskerna (art. 35.7 d)",
            "f) Övriga upplysningar",
            "Verkan av artikel 48",
            "riktlinjer 02/2024",
            "Fortsatt behandling efter införandet",
            "IMY:s yttrande i förhandssamråd om Azure AD och Teams",
            "Microsoft Ireland Operations Limited",
            "CLOUD Act",
        ],
    );
    // The verdict once (the options table later gives each option's own residual verdict).
    let first = &pages(&pdf)[0];
    assert_eq!(squash(first).matches("Ejgodtagbar").count(), 1, "{first}");
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
    assert!(!text.contains("anger inget dataskyddsombud"));
}

#[test]
fn hostile_names_through_the_json_fed_templates_print_literally() {
    let kb = kb();
    let hostile = r#"#read("/etc/passwd") ] *bold* $x$ <label> @ref \ = Heading {controller}"#;
    let yaml = format!(
        r#"
assessment:
  title: 'Title #set page(width: 1cm) ]'
  description: '#import "@preview/cetz:0.3.0" /* // {hostile}'
controller:
  name: 'Kommun */ #panic("boom")'
  country: SE
  decision_body: '#exit() ]'
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
                hostile,
                "Kommun */ #panic(\"boom\")",
                "Title #set page(width: 1cm) ]",
                r#"`raw` _emph_ ~ -- \u{41} #"quoted""#,
            ],
        );
        assert!(!text.contains("root:x:0"), "/etc/passwd was read");
        let squashed = squash(&text);
        assert_eq!(
            squashed.matches("boom").count(),
            squashed.matches(&squash("#panic(\"boom\")")).count()
        );
    }
}

#[test]
fn diff_report_says_the_deadline_has_passed_and_which_terms_are_assumed() {
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
            today: Some(date("2026-12-02")),
        },
    );
    assert!(change.objection_deadlines.iter().all(|d| d.passed));
    let doc = Renderer::new()
        .unwrap()
        .diff(&change, new.language, &kb)
        .unwrap();
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "ÄNDRINGSRAPPORT",
            "Bedömningen förbättras: Ej godtagbar → Godtagbar med åtgärder.",
            "Lasia AB: sista dag att invända är den 14 december 2024.",
            "Gäller Elastx AB och TeamViewer Germany GmbH, aviserade den 15 november 2024.",
            "sista dag att invända är den 15 december 2025.",
            "Den dagen har passerat (352 dagar före rapportens datum den 2 december 2026)",
            "ändringen gäller från 16 december 2025",
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
fn comparison_gives_each_bid_its_cause_and_never_recommends_replacing_the_bidder() {
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
    let text = render(&doc);
    assert_has(
        &text,
        &[
            "JÄMFÖRELSE AV LEVERANTÖRER",
            "1. Samarbetsplattform – anbud Nextcloud hos Safespring",
            "Safespring AB",
            "Avgörande skäl",
            "kan tvingas lämna ut uppgifterna enligt",
            "Godtagbart som det erbjuds",
            "lagen (2016:1145) om offentlig upphandling",
        ],
    );
    assert_lacks(&text, &["Byta till EU/EES-kontrollerade leverantörer"]);
}

/// A document kind with its own one-file template, for the wrapper's failure modes.
fn custom(source: &str) -> (Typst, Document) {
    let dir = tempfile::tempdir().unwrap().keep();
    std::fs::write(dir.join("memo.typ"), source).unwrap();
    (
        typst().with_templates(Some(dir)),
        Document::new("memo", serde_json::json!({}), date("2026-11-01")),
    )
}

#[test]
fn typst_failure_reports_typst_diagnostics() {
    let (t, doc) = custom("#let x = (\n");
    match t.compile(&doc) {
        Err(TypstError::Failed { diagnostics }) => {
            assert!(
                diagnostics.contains("memo.typ:1:")
                    && diagnostics.contains("error: unclosed delimiter"),
                "{diagnostics}"
            );
        }
        other => panic!("expected a compile failure, got {other:?}"),
    }
}

#[test]
fn typst_cannot_read_outside_its_private_root() {
    let (t, doc) = custom("#set document(title: \"x\")\n#read(\"/etc/hostname\")\n");
    // Inside --root, "/etc/hostname" is resolved against the private folder and is not there.
    match t.compile(&doc) {
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
        templates: None,
        fonts: None,
    };
    let started = std::time::Instant::now();
    let doc = Document::new("memo", serde_json::json!({}), date("2026-11-01"));
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
fn cli_data_only_needs_no_typst_and_writes_no_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let typ = dir.path().join("memo.json");
    let out = tia()
        .args([
            "memo",
            "examples/lasia-2026.yaml",
            "--as-of",
            "2026-11-01",
            "--data",
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
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&typ).unwrap()).unwrap();
    assert_eq!(written["format"], "tia-document");
    assert_eq!(written["kind"], "memo");
    assert_eq!(written["summary"]["verdict"], "acceptable_with_measures");
    assert!(written["report"]["parties"]
        .to_string()
        .contains("Lasia AB"));
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
    assert_eq!(v["last_day_to_object"], "2024-12-14");
    assert_eq!(
        v["objection_deadlines"][1]["last_day_to_object"],
        "2025-12-15"
    );

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

    // `tia templates DIR` writes the bundled templates; --template uses a folder.
    let templates = dir.path().join("mine");
    let out = tia().arg("templates").arg(&templates).output().unwrap();
    assert!(out.status.success());
    let memo = std::fs::read_to_string(templates.join("memo.typ")).unwrap();
    std::fs::write(
        templates.join("memo.typ"),
        memo.replace(
            "#show: setup.with(d)",
            "#show: setup.with(d)\nVÅRT BREVHUVUD",
        ),
    )
    .unwrap();
    let pdf2 = dir.path().join("mine.pdf");
    let out = tia()
        .args(["memo", "examples/lasia-2026.yaml", "--template"])
        .arg(&templates)
        .arg("-o")
        .arg(&pdf2)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_has(
        &pdf_text(&std::fs::read(&pdf2).unwrap()),
        &["VÅRT BREVHUVUD", "Lasia AB"],
    );
    let out = tia()
        .args([
            "memo",
            "examples/lasia-2026.yaml",
            "--template",
            "/nonexistent",
            "-o",
        ])
        .arg(dir.path().join("x.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(Path::new(&pdf).exists());
}

#[test]
fn a_memo_names_an_unchecked_dpf_status_and_an_unverified_source() {
    // Stockholm's M365 judged under the baseline: Microsoft Corporation's DPF List entry is
    // unchecked in the catalogue, and the FISA 702 lapse source is marked not verified.
    let kb = kb();
    let text = std::fs::read_to_string("examples/stockholm-m365.yaml").unwrap();
    let model = load_model(&text, "examples/stockholm-m365.yaml", &kb).unwrap();
    let report = assess(&model, &kb, &opts(Some("gdpr-baseline"), "2026-12-03")).unwrap();
    let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
    let text = squash(&render(&doc));
    assert_has(
        &text,
        &[
            "DPF: ej kontrollerad (okänd)",
            "ingen har kontrollerat om Microsoft Corporation finns på DPF-listan",
            "(ej verifierad)",
        ],
    );
}

#[test]
fn the_decision_names_the_review_day_the_model_sets() {
    let kb = kb();
    let text = std::fs::read_to_string("examples/stockholm-m365.yaml").unwrap();
    let last_item = |text: &str| {
        let (_, model, report) = assessed_text(&kb, text, "m.yaml", None);
        let doc = Renderer::new().unwrap().memo(&model, &report, &kb).unwrap();
        let items = doc.data["decision"]["items"].as_array().unwrap().clone();
        items.last().unwrap().as_str().unwrap().to_string()
    };
    let without = last_item(&text);
    assert!(
        without.contains("pröva bedömningen på nytt när"),
        "{without}"
    );
    assert!(!without.contains("senast"), "{without}");
    let with = text.replacen(
        "assessment:\n",
        "assessment:\n  next_review: 2027-03-31\n",
        1,
    );
    assert_ne!(with, text, "the example has an assessment section");
    let item = last_item(&with);
    assert!(
        item.contains("pröva bedömningen på nytt senast 31 mars 2027"),
        "{item}"
    );
}
