//! The portfolio (`tia portfolio`): a register or folder judged again under today's knowledge
//! and under what-if scenarios. The tests assert meaning: which systems flip, which flows lose
//! their tool, which findings came, and why.

mod common;

use chrono::NaiveDate;
use tia::knowledge::scenario;
use tia::model::TransferTool;
use tia::portfolio::{self, Fallback, Movement, PortfolioOptions, SystemInput};
use tia::store::{EventKind, NewVersion, Store};
use tia::{Knowledge, Verdict};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A Swedish municipality under the GDPR baseline (which accepts the DPF), one processor.
fn model(title: &str, party: &str, flow_extra: &str) -> String {
    format!(
        "assessment: {{ title: {title}, language: en, policy: gdpr-baseline }}\n\
         controller: {{ name: Exempel kommun, country: SE, kind: public_body }}\n\
         processing:\n  purpose: Bookings\n  data_subjects: [customers]\n  data_categories: [contact]\n\
         parties:\n  - {{ id: saas, role: processor, dpa: {{ change_notice_days: 30, objection_days: 14 }}, {party} }}\n\
         flows:\n  - {{ from: controller, to: saas, access: cleartext{flow_extra} }}\n"
    )
}

/// A US SaaS the DPO read on the DPF List (the model's own statement): its only tool is the DPF.
fn dpf_listed() -> String {
    model(
        "DPF-listed US SaaS",
        "name: Saas Inc, incorporated: US, locations: [US], parents: none, dpf_certified: true",
        "",
    )
}

/// Everything stays in Sweden.
fn eu_only() -> String {
    model(
        "EU-only",
        "name: Svensk drift AB, incorporated: SE, locations: [SE], parents: none",
        "",
    )
}

/// A US provider not on the list, on SCCs.
fn scc_based() -> String {
    model(
        "SCC-based US SaaS",
        "name: Other Inc, incorporated: US, locations: [US], parents: none, dpf_certified: false",
        ", transfer_tool: scc",
    )
}

fn input(name: &str, text: String) -> SystemInput {
    SystemInput {
        system_id: None,
        name: name.to_string(),
        file: format!("{name}.yaml"),
        model_text: text,
        saved: None,
    }
}

fn options(kb: &Knowledge, what_if: &[&str], from: Option<&str>, as_of: &str) -> PortfolioOptions {
    let mut scenarios = Vec::new();
    for w in what_if {
        scenarios.extend(kb.scenario_or_file(w).unwrap());
    }
    PortfolioOptions {
        as_of: date(as_of),
        today: date("2026-12-03"),
        scenarios,
        from: from.map(date),
        changelog: Some(portfolio::EMBEDDED_CHANGELOG.to_string()),
        lang: tia::model::Lang::En,
        workers: 2,
    }
}

fn judge(
    kb: &Knowledge,
    inputs: Vec<SystemInput>,
    opts: &PortfolioOptions,
) -> portfolio::Portfolio {
    portfolio::run(kb, inputs.into_iter().map(Ok), opts, &|_| {}).unwrap()
}

fn row<'a>(p: &'a portfolio::Portfolio, name: &str) -> &'a portfolio::Row {
    p.rows.iter().find(|r| r.name == name).unwrap()
}

#[test]
fn the_dpf_scenario_flips_exactly_the_systems_whose_only_tool_is_the_dpf() {
    let kb = common::kb();
    let opts = options(&kb, &["dpf-invalid"], Some("2027-01-01"), "2027-01-01");
    let p = judge(
        &kb,
        vec![
            input("dpf", dpf_listed()),
            input("eu", eu_only()),
            input("scc", scc_based()),
        ],
        &opts,
    );
    assert_eq!(p.counts.systems, 3);
    assert_eq!(p.counts.what_if_changed, 1, "{:#?}", p.rows);

    let dpf = row(&p, "dpf");
    assert_ne!(
        dpf.verdict,
        Some(Verdict::NotAcceptable),
        "the DPF carries it today"
    );
    let w = dpf.what_if.as_ref().unwrap();
    assert_eq!(w.movement, Movement::Worsened);
    assert_eq!(w.verdict, Verdict::NotAcceptable);
    assert!(
        w.findings_added
            .iter()
            .any(|f| f.starts_with("CH5-NO-TOOL@")),
        "{:?}",
        w.findings_added
    );
    assert_eq!(w.flows.len(), 1);
    assert_eq!(w.flows[0].tool_before, TransferTool::Dpf);
    assert_eq!(w.flows[0].tool_after, TransferTool::None);
    // The recipient reads the data in the clear and US law reaches it: SCCs cannot work alone,
    // so the exit options are listed with their residual verdicts.
    assert_eq!(w.flows[0].fallback, Fallback::NoToolExit);
    assert!(w
        .options
        .iter()
        .any(|o| o.feasible && o.residual_verdict.is_some()));
    // What is due: prepare the fall-back before the scenario takes hold.
    assert_eq!(dpf.due, Some(date("2027-01-01")));
    assert_eq!(p.rows[0].name, "dpf", "due first");

    for name in ["eu", "scc"] {
        let r = row(&p, name);
        let w = r.what_if.as_ref().unwrap();
        assert_eq!(w.movement, Movement::Unchanged, "{name}");
        assert!(w.flows.is_empty(), "{name}: {:?}", w.flows);
        assert_eq!(Some(w.verdict), r.verdict, "{name}");
    }
}

#[test]
fn before_the_scenario_takes_hold_nothing_changes() {
    let kb = common::kb();
    let opts = options(&kb, &["dpf-invalid"], Some("2027-01-01"), "2026-12-15");
    let p = judge(&kb, vec![input("dpf", dpf_listed())], &opts);
    let w = p.rows[0].what_if.as_ref().unwrap();
    assert_eq!(w.movement, Movement::Unchanged);
    assert!(w.flows.is_empty());
}

#[test]
fn the_shared_knowledge_is_not_changed_by_a_scenario() {
    let kb = common::kb();
    let s = kb.scenario_or_file("dpf-invalid").unwrap();
    let copy = kb.with_scenarios(&s, Some(date("2027-01-01")), date("2027-01-01"));
    let dpf = |k: &Knowledge| {
        k.jurisdictions
            .get("US")
            .unwrap()
            .adequacy
            .iter()
            .filter(|a| a.scope == tia::knowledge::AdequacyScope::DpfCertified)
            .map(|a| a.period.until)
            .collect::<Vec<_>>()
    };
    assert!(dpf(&kb).iter().all(Option::is_none));
    assert!(dpf(&copy).contains(&Some(date("2027-01-01"))));
}

const ACQUISITION: &str = "\
- id: safespring-bought
  kind: acquisition
  title: { sv: Safespring köps av Microsoft, en: Safespring is bought by Microsoft }
  vendor: safespring
  acquirer: microsoft-corp
  from: 2027-02-01
  reference: hypothetical, for the test
";

#[test]
fn an_acquisition_by_a_us_group_flips_an_eu_vendor() {
    let kb = common::kb();
    let text = "assessment: { title: Lagring, language: en }\n\
        controller: { name: Exempel kommun, country: SE, kind: public_body }\n\
        processing:\n  purpose: Storage\n  data_subjects: [employees]\n  data_categories: [identity, contact]\n\
        parties:\n  - { id: cloud, vendor: safespring, role: processor, dpa: { change_notice_days: 30, objection_days: 14 } }\n\
        flows:\n  - { from: controller, to: cloud, access: cleartext }\n";
    let mut opts = options(&kb, &[], None, "2027-02-01");
    opts.scenarios = scenario::load_text(ACQUISITION, "acq.yaml", &kb).unwrap();
    let p = judge(&kb, vec![input("storage", text.to_string())], &opts);
    let r = &p.rows[0];
    assert_ne!(
        r.verdict,
        Some(Verdict::NotAcceptable),
        "Swedish-owned today"
    );
    let w = r.what_if.as_ref().unwrap();
    assert_eq!(w.movement, Movement::Worsened, "{w:#?}");
    assert!(
        w.findings_added
            .iter()
            .any(|f| f.contains("@cloud/cloud-act")),
        "the US parent brings the CLOUD Act: {:?}",
        w.findings_added
    );
    assert_eq!(p.scenarios[0].from, date("2027-02-01"));

    // A model that states the vendor's owners itself (as they were) is reached the same way:
    // from the scenario's date the buyer owns it.
    let stated = text.replace(
        "vendor: safespring, role: processor,",
        "vendor: safespring, role: processor, parents: none, ownership_source: \"Bolagsverket 2026\",",
    );
    assert_ne!(stated, text);
    let p = judge(&kb, vec![input("storage", stated)], &opts);
    let w = p.rows[0].what_if.as_ref().unwrap();
    assert_eq!(w.movement, Movement::Worsened, "{w:#?}");
}

#[test]
fn a_scenario_file_with_a_missing_field_is_refused_with_its_place() {
    let kb = common::kb();
    let bad = "- id: x\n  kind: acquisition\n  title: { sv: x, en: x }\n  acquirer: microsoft-corp\n  reference: r\n- id: y\n  kind: law-lapse\n  law: no-such-law\n  title: { sv: y, en: y }\n  reference: r\n";
    let e = scenario::load_text(bad, "bad.yaml", &kb).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("without `vendor`"), "{text}");
    assert!(text.contains("unknown law `no-such-law`"), "{text}");
    assert!(text.contains("bad.yaml:8:"), "located at the law: {text}");
}

#[test]
fn csv_cells_cannot_run_as_formulas() {
    let kb = common::kb();
    let opts = options(&kb, &[], None, "2026-12-03");
    let p = judge(
        &kb,
        vec![input(
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            eu_only(),
        )],
        &opts,
    );
    let csv = String::from_utf8(portfolio::to_csv(&p).unwrap()).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    for cell in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
        assert!(portfolio::neutralise(cell).starts_with('\''), "{cell:?}");
    }
    assert_eq!(portfolio::neutralise("Lasia"), "Lasia");
    let xlsx = portfolio::to_xlsx(&p).unwrap();
    assert!(xlsx.starts_with(b"PK"), "a zip container");
}

/// A version saved under the previous knowledge (2026.12.1), before the DPF status of US
/// vendors became `unknown`: the portfolio names the finding that came and the change-log
/// entry that explains it, and `--record` adds an append-only event to the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_version_saved_under_older_knowledge_is_rejudged_with_reasons_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    register_case(&dir.path().join("tia.db").display().to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set TIA_TEST_POSTGRES_URL"]
async fn the_same_on_postgresql() {
    let url = std::env::var("TIA_TEST_POSTGRES_URL")
        .expect("TIA_TEST_POSTGRES_URL must name a PostgreSQL database for this test");
    register_case(&url).await;
}

async fn register_case(url: &str) {
    let kb = common::kb();
    let store = Store::open(url).await.unwrap();
    let text = "assessment: { title: Video meetings, language: en, policy: gdpr-baseline }\n\
        controller: { name: Exempel kommun, country: SE, kind: public_body }\n\
        processing:\n  purpose: Meetings\n  data_subjects: [customers]\n  data_categories: [contact]\n\
        parties:\n  - { id: zoom, vendor: zoom-communications, role: processor, dpa: { change_notice_days: 30, objection_days: 14 } }\n\
        flows:\n  - { from: controller, to: zoom, access: cleartext }\n";
    let model = tia::load_model(text, "zoom.yaml", &kb).unwrap();
    let report = tia::assess(&model, &kb, &common::opts(None, "2026-12-03")).unwrap();
    assert!(report.findings.iter().any(|f| f.rule == "DPF-UNKNOWN"));
    // As it was saved under 2026.12.1: Zoom taken as certified, no DPF-UNKNOWN finding.
    let mut v = NewVersion::from_report("zoom.yaml", text, &report, None, "dpo").unwrap();
    v.knowledge_version = "2026.12.1".into();
    v.knowledge_as_of = "2026-12-02".into();
    v.verdict = "acceptable".into();
    let mut result: serde_json::Value = serde_json::from_str(&v.result_json).unwrap();
    result["findings"] = serde_json::json!([]);
    v.result_json = result.to_string();
    v.notice_date = Some("2026-12-01".into());
    let (system, _) = store.create_system("=Zoom", &v).await.unwrap();
    // A second system, unchanged since saved under today's knowledge.
    let eu = tia::load_model(&eu_only(), "eu.yaml", &kb).unwrap();
    let eu_report = tia::assess(&eu, &kb, &common::opts(None, "2026-12-03")).unwrap();
    let eu_v = NewVersion::from_report("eu.yaml", &eu_only(), &eu_report, None, "dpo").unwrap();
    let (eu_system, _) = store.create_system("EU", &eu_v).await.unwrap();

    let opts = options(&kb, &[], None, "2026-12-03");
    let (p, store) = tokio::task::spawn_blocking(move || {
        let handle = tokio::runtime::Handle::current();
        let p = portfolio::run(
            &kb,
            portfolio::register_systems(&handle, &store, 1),
            &opts,
            &|_| {},
        )
        .unwrap();
        (p, store)
    })
    .await
    .unwrap();
    assert!(p.counts.systems >= 2);
    let zoom = p
        .rows
        .iter()
        .find(|r| r.system_id == Some(system.id))
        .unwrap();
    assert_eq!(zoom.saved.as_ref().unwrap().verdict, Verdict::Acceptable);
    assert_eq!(zoom.verdict, Some(Verdict::NotAcceptable));
    assert_eq!(zoom.movement, Some(Movement::Worsened));
    assert!(
        zoom.findings_added
            .iter()
            .any(|f| f.starts_with("DPF-UNKNOWN@")),
        "{:?}",
        zoom.findings_added
    );
    assert!(zoom.why[0].contains("from 2026.12.1"), "{:?}", zoom.why);
    assert!(
        zoom.why
            .iter()
            .any(|w| w.contains("DPF status per organisation") && w.contains("DPF-UNKNOWN")),
        "the change-log entry that names the rule: {:?}",
        zoom.why
    );
    assert_eq!(zoom.next_review, Some(date("2026-12-03")));
    // The notice of 1 December with 14 days to object: open until 15 December.
    assert_eq!(
        zoom.objection_deadlines[0].last_day_to_object,
        Some(date("2026-12-15"))
    );
    let eu_row = p
        .rows
        .iter()
        .find(|r| r.system_id == Some(eu_system.id))
        .unwrap();
    assert_eq!(eu_row.movement, Some(Movement::Unchanged));
    assert!(eu_row.findings_added.is_empty() && eu_row.findings_removed.is_empty());
    assert_eq!(
        eu_row.next_review, None,
        "no change and no interval: unknown"
    );
    let at = |id| p.rows.iter().position(|r| r.system_id == Some(id)).unwrap();
    assert!(
        at(system.id) < at(eu_system.id),
        "the changed one is due first"
    );

    let items = portfolio::reassessments(&p, "run-1");
    assert_eq!(
        store.record_reassessments("dpo", &items).await.unwrap(),
        p.counts.systems
    );
    let events = store.events(system.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Reassess);
    assert_eq!(events[0].version_number, Some(1));
    let r = events[0].reassessment.as_ref().unwrap();
    assert_eq!(r.verdict_before, "acceptable");
    assert_eq!(r.verdict_after.as_deref(), Some("not_acceptable"));
    assert!(r
        .findings_added
        .iter()
        .any(|f| f.starts_with("DPF-UNKNOWN@")));
    // The saved version keeps its verdict; the re-assessment cannot be rewritten.
    let saved = store.version_summary(system.id, 1).await.unwrap().unwrap();
    assert_eq!(saved.verdict, "acceptable");
    assert!(store
        .execute_raw("UPDATE reassessments SET verdict_after = 'acceptable'")
        .await
        .is_err());
    assert!(store
        .execute_raw("DELETE FROM reassessments")
        .await
        .is_err());
}

#[test]
fn the_cli_refuses_bad_input_with_exit_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), eu_only()).unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        eu_only().replace("country: SE", "country: XX"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let out = dir.path().join("out.csv");
    let run = common::tia(&[
        "portfolio",
        "--dir",
        d,
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let err = common::text(&run.stderr);
    assert!(err.contains("bad.yaml:2:"), "located: {err}");
    assert!(!out.exists(), "nothing written");

    std::fs::remove_file(dir.path().join("bad.yaml")).unwrap();
    let run = common::tia(&[
        "portfolio",
        "--what-if",
        "dpf-invalid",
        "--from",
        "2027-01-01",
        "--format",
        "json",
        "--dir",
        d,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        v["knowledge"]["version"],
        Knowledge::embedded().unwrap().meta.version
    );
    assert_eq!(v["scenarios"][0]["id"], "dpf-invalid");
    assert_eq!(v["as_of"], "2027-01-01");
}

#[test]
fn the_next_review_follows_the_profiles_interval_and_is_unknown_without_one() {
    let mut kb = common::kb();
    let opts = options(&kb, &[], None, "2026-12-03");
    let p = judge(&kb, vec![input("eu", eu_only())], &opts);
    assert_eq!(p.rows[0].next_review, None);
    assert!(p.rows[0].next_review_reason.starts_with("unknown"));
    let i = kb.policies.position("gdpr-baseline").unwrap();
    kb.policies.items[i].review_interval_months = Some(12);
    let p = judge(&kb, vec![input("eu", eu_only())], &opts);
    assert_eq!(p.rows[0].next_review, Some(date("2027-12-03")));
    assert_eq!(p.rows[0].due, Some(date("2027-12-03")));
}

#[test]
fn the_models_review_day_comes_before_the_profiles_interval_and_a_passed_one_is_due_first() {
    let mut kb = common::kb();
    let i = kb.policies.position("gdpr-baseline").unwrap();
    kb.policies.items[i].review_interval_months = Some(12);
    let opts = options(&kb, &[], None, "2026-12-03");
    let with_day = |day: &str| {
        eu_only().replacen(
            "policy: gdpr-baseline }",
            &format!("policy: gdpr-baseline, next_review: {day} }}"),
            1,
        )
    };
    let p = judge(
        &kb,
        vec![
            input("interval", eu_only()),
            input("later", with_day("2027-03-31")),
            input("passed", with_day("2026-11-30")),
        ],
        &opts,
    );
    let names: Vec<&str> = p.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["passed", "later", "interval"]);
    let later = row(&p, "later");
    assert_eq!(later.next_review, Some(date("2027-03-31")));
    assert_eq!(later.due, Some(date("2027-03-31")));
    assert!(later.next_review_reason.contains("assessment.next_review"));
    let passed = row(&p, "passed");
    assert_eq!(passed.due, Some(date("2026-11-30")));
    assert!(passed.next_review_reason.contains("has passed: review now"));
    assert_eq!(row(&p, "interval").next_review, Some(date("2027-12-03")));
}

#[test]
fn an_adequacy_that_ends_takes_the_tool_from_a_uk_processor() {
    let kb = common::kb();
    let uk = model(
        "UK SaaS",
        "name: Britannia Ltd, incorporated: GB, locations: [GB], parents: none",
        "",
    );
    let mut opts = options(&kb, &[], None, "2027-03-01");
    opts.scenarios = scenario::load_text(
        "- id: uk-ends\n  kind: adequacy-ends\n  country: GB\n  from: 2027-03-01\n  title: { sv: UK, en: UK }\n  citations: [{ source: gdpr, pinpoint: Art. 45(5) }]\n",
        "uk.yaml",
        &kb,
    )
    .unwrap();
    let p = judge(&kb, vec![input("uk", uk), input("eu", eu_only())], &opts);
    let w = row(&p, "uk").what_if.as_ref().unwrap();
    assert_eq!(w.movement, Movement::Worsened, "{w:#?}");
    assert_eq!(w.flows[0].tool_before, TransferTool::Adequacy);
    assert_eq!(w.flows[0].tool_after, TransferTool::None);
    let eu = row(&p, "eu").what_if.as_ref().unwrap();
    assert_eq!(eu.movement, Movement::Unchanged);
}

#[test]
fn a_law_that_lapses_no_longer_reaches_anyone() {
    let kb = common::kb();
    let opts = options(&kb, &["fisa-702-lapse"], None, "2027-04-01");
    let p = judge(&kb, vec![input("scc", scc_based())], &opts);
    let r = &p.rows[0];
    let w = r.what_if.as_ref().unwrap();
    assert!(
        w.findings_removed.iter().any(|f| f.ends_with("/fisa-702")),
        "{:?}",
        w.findings_removed
    );
    assert!(
        !w.findings_added.iter().any(|f| f.ends_with("/fisa-702")),
        "{:?}",
        w.findings_added
    );
    assert_eq!(
        p.scenarios[0].from,
        date("2027-04-01"),
        "the scenario's own date"
    );
}

/// The PDF's text, via pdftotext (the report's words, as a reader finds them).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portfolio.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_portfolio_report_for_the_board_names_the_affected_systems_and_what_is_due() {
    let kb = common::kb();
    let mut opts = options(&kb, &["dpf-invalid"], Some("2027-01-01"), "2027-01-01");
    opts.lang = tia::model::Lang::Sv;
    let p = judge(
        &kb,
        vec![
            input("Bokningstjänsten <DPF>", dpf_listed()),
            input("Lönesystemet i Sverige", eu_only()),
            input("Möten med SCC", scc_based()),
        ],
        &opts,
    );
    // The run's own sentences are in its language too.
    let booked = row(&p, "Bokningstjänsten <DPF>");
    let flow = &booked.what_if.as_ref().unwrap().flows[0];
    assert!(
        flow.text.starts_with("inget verktyg återstår"),
        "{}",
        flow.text
    );
    assert!(
        booked
            .next_review_reason
            .starts_with("scenariot ändrar bedömningen"),
        "{}",
        booked.next_review_reason
    );
    let typst = tia::typst::Typst::locate().expect("these tests compile a real PDF");
    let doc = tia::memo::Renderer::new()
        .unwrap()
        .portfolio(&p, tia::model::Lang::Sv);
    let pdf = typst.compile(&doc).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    // Words as read, a hyphenated word joined again.
    let flat = text
        .replace("\u{ad}\n", "")
        .replace("\u{ad} ", "")
        .replace('\u{ad}', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("PORTFÖLJRAPPORT"), "{text}");
    assert!(
        flat.contains("Registret om: EU–US Data Privacy Framework"),
        "the scenario is the title: {text}"
    );
    assert!(flat.contains("Trump v. Slaughter"), "its sources: {text}");
    assert!(
        flat.contains("3 system har bedömts på nytt per 1 januari 2027"),
        "{text}"
    );
    assert!(
        flat.contains("Med scenariot ändras bedömningen för 1 system och 1 dataflöden"),
        "{text}"
    );
    // The affected system first, with its flow's fall-back in Swedish; the user's text as
    // written (never markup).
    let affected = flat.find("Berörda system").unwrap();
    let actions = flat.find("Åtgärder och tidsgränser").unwrap();
    let part = &flat[affected..actions];
    assert!(part.contains("Bokningstjänsten <DPF>"), "{part}");
    assert!(
        part.contains("EU–US Data Privacy Framework → inget"),
        "{part}"
    );
    assert!(part.contains("inget verktyg återstår"), "{part}");
    assert!(
        !part.contains("Lönesystemet i Sverige"),
        "an unaffected system is not listed as affected"
    );
    // What is due, by when: the day the scenario takes hold, and the way out.
    let due = &flat[actions..];
    let booking = due
        .find("Bokningstjänsten <DPF>")
        .expect("the DPF system has something due");
    assert!(
        due[..booking].contains("1 januari 2027"),
        "its day comes first: {due}"
    );
    assert!(due.contains("Med scenariot är bästa utvägen"), "{due}");
    assert!(
        flat.contains(&format!("med kunskapsbas {}", kb.meta.version)),
        "the knowledge used: {text}"
    );
}

#[test]
fn the_cli_text_is_in_the_language_asked_for_and_names_the_flip_and_its_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dpf.yaml"), dpf_listed()).unwrap();
    std::fs::write(
        dir.path().join("eu.yaml"),
        eu_only().replace("language: en, ", "next_review: 2027-06-30, language: en, "),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let what_if = ["--what-if", "dpf-invalid", "--from", "2027-01-01"];
    let run = common::tia(&[&["portfolio", "--lang", "da", "--dir", d][..], &what_if].concat());
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run.stderr));
    let text = String::from_utf8(run.stdout).unwrap();
    // The DPF system first: due the day the scenario takes hold, its flow's tool gone.
    let dpf = text.find("\n2027-01-01  dpf: Acceptabel; Med scenariet: Ikke acceptabel");
    let eu = text.find("\n2027-06-30  eu: Acceptabel; Med scenariet: Acceptabel");
    assert!(dpf.is_some() && eu.is_some() && dpf < eu, "{text}");
    assert!(
        text.contains(
            "Flow controller->saas: EU–US Data Privacy Framework → intet overførselsgrundlag"
        ),
        "{text}"
    );
    assert!(
        text.contains("næste revurdering: 2027-06-30, den dag, modellen angiver"),
        "{text}"
    );
    assert!(
        text.contains("Skifte til EU/EØS-kontrollerede leverandører"),
        "the exit options in Danish too: {text}"
    );
    assert!(!text.contains("not_acceptable"), "no machine words: {text}");
}
