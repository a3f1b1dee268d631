//! DPF List status per organisation: an entry read on the list (active, inactive, not listed,
//! with the data it covers) against one nobody checked (unknown), under both the GDPR baseline
//! and the Stockholm profile. Unknown is never better than "not certified", and the report
//! names it.
//!
//! The vendors are written into a copy of the knowledge base (the real catalogue's statuses
//! change as lists are read; these tests must not).

use std::sync::OnceLock;
use tia::knowledge::{DpfStatus, Knowledge};
use tia::model::TransferTool;
use tia::{assess, load_model, AssessOptions, Report, Verdict};

const BASELINE: &str = "gdpr-baseline";
const STOCKHOLM: &str = "se-public-sector";

/// The embedded knowledge plus one test vendor file: the same US SaaS provider with each DPF
/// List status.
fn kb() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| {
        let mut files = Vec::new();
        fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, base, out);
                } else if p.extension().is_some_and(|x| x == "yaml") {
                    let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
                    out.push((rel, std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        let base = std::path::Path::new("knowledge");
        walk(base, base, &mut files);
        let vendor = |id: &str, dpf: &str| {
            format!(
                "- id: {id}\n  name: Saas Inc ({id})\n  incorporated: US\n  parents: none\n  ownership_source: dpf-list\n  locations: [US]\n  needs_cleartext: true\n{dpf}  source: dpf-list\n  as_of: 2026-12-03\n"
            )
        };
        let page = "    checked: 2026-12-03\n    page: https://www.dataprivacyframework.gov/participant/0000\n";
        let mut text = String::new();
        text.push_str(&vendor("saas-unchecked", ""));
        text.push_str(&vendor(
            "saas-active",
            &format!("  dpf:\n    status: active\n{page}    covers: [hr, non_hr]\n"),
        ));
        text.push_str(&vendor(
            "saas-active-non-hr",
            &format!("  dpf:\n    status: active\n{page}    covers: [non_hr]\n"),
        ));
        text.push_str(&vendor(
            "saas-not-listed",
            &format!("  dpf:\n    status: not_listed\n{page}"),
        ));
        text.push_str(&vendor(
            "saas-inactive",
            &format!("  dpf:\n    status: inactive\n{page}"),
        ));
        files.push(("vendors/zz-dpf-test.yaml".to_string(), text));
        Knowledge::from_files(files, "test").expect("the knowledge with the test vendors loads")
    })
}

/// A Swedish municipality sending `subjects`' data in the clear to the vendor, no tool declared.
fn run(vendor: &str, subjects: &str, policy: &str) -> Report {
    let yaml = format!(
        "assessment: {{ title: DPF test, language: en }}\n\
         controller: {{ name: Exempel kommun, country: SE, kind: public_body }}\n\
         processing:\n  purpose: Testing the DPF status\n  data_subjects: {subjects}\n  data_categories: [contact]\n\
         parties:\n  - {{ id: saas, vendor: {vendor}, role: processor, dpa: {{ change_notice_days: 30, objection_days: 14 }} }}\n\
         flows:\n  - {{ from: controller, to: saas, access: cleartext }}\n"
    );
    let model = load_model(&yaml, "test.yaml", kb()).expect("the test model loads");
    assess(
        &model,
        kb(),
        &AssessOptions {
            policy: Some(policy.to_string()),
            as_of: Some("2026-12-03".parse().unwrap()),
            lang: None,
            today: Some("2026-12-03".parse().unwrap()),
        },
    )
    .expect("assessment runs")
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn a_listed_us_saas_rests_on_the_dpf_under_the_baseline_but_an_unchecked_one_has_no_tool() {
    let checked = run("saas-active", "[customers]", BASELINE);
    assert_eq!(checked.transfers[0].effective, TransferTool::Dpf);
    assert!(rules(&checked).contains(&"CH5-DPF"));
    assert!(!rules(&checked).contains(&"DPF-UNKNOWN"));
    assert_eq!(checked.parties[0].dpf.value.status, DpfStatus::Active);
    assert!(checked.parties[0].dpf_certified.value);

    let unchecked = run("saas-unchecked", "[customers]", BASELINE);
    assert_eq!(unchecked.transfers[0].effective, TransferTool::None);
    assert!(rules(&unchecked).contains(&"CH5-NO-TOOL"));
    assert!(
        rules(&unchecked).contains(&"DPF-UNKNOWN"),
        "the unknown fact is named"
    );
    assert_eq!(unchecked.parties[0].dpf.value.status, DpfStatus::Unknown);
    assert!(!unchecked.parties[0].dpf_certified.value);
    assert_eq!(unchecked.verdict, Verdict::NotAcceptable);
    assert!(
        checked.verdict > unchecked.verdict,
        "checked: {:?}",
        checked.verdict
    );
}

#[test]
fn an_unchecked_status_is_never_better_than_not_listed_under_either_profile() {
    for policy in [BASELINE, STOCKHOLM] {
        let unknown = run("saas-unchecked", "[customers]", policy);
        for status in ["saas-not-listed", "saas-inactive"] {
            let known = run(status, "[customers]", policy);
            assert_eq!(unknown.verdict, known.verdict, "{policy} {status}");
            assert_eq!(unknown.decided_by, known.decided_by, "{policy} {status}");
            // Only the unknown one is named as unknown.
            assert!(!rules(&known).contains(&"DPF-UNKNOWN"), "{policy} {status}");
        }
        assert!(rules(&unknown).contains(&"DPF-UNKNOWN"), "{policy}");
    }
}

#[test]
fn under_the_stockholm_profile_the_dpf_status_does_not_change_the_verdict() {
    // The profile does not accept the DPF as protection: listed or not, checked or not, a US
    // provider reading the data in the clear is not acceptable.
    for vendor in ["saas-active", "saas-unchecked", "saas-not-listed"] {
        let r = run(vendor, "[customers]", STOCKHOLM);
        assert_eq!(r.verdict, Verdict::NotAcceptable, "{vendor}");
    }
    let listed = run("saas-active", "[customers]", STOCKHOLM);
    assert!(
        rules(&listed).contains(&"PROFILE-DPF"),
        "{:?}",
        rules(&listed)
    );
}

#[test]
fn a_listing_without_hr_data_does_not_carry_employees_data() {
    let customers = run("saas-active-non-hr", "[customers]", BASELINE);
    assert_eq!(customers.transfers[0].effective, TransferTool::Dpf);

    let employees = run("saas-active-non-hr", "[employees]", BASELINE);
    assert_eq!(employees.transfers[0].effective, TransferTool::None);
    assert!(rules(&employees).contains(&"CH5-NO-TOOL"));
    assert!(
        !rules(&employees).contains(&"DPF-UNKNOWN"),
        "the status is known"
    );
    assert!(employees.verdict < customers.verdict);

    let both = run("saas-active", "[employees]", BASELINE);
    assert_eq!(both.transfers[0].effective, TransferTool::Dpf);
}

#[test]
fn the_reason_a_declared_dpf_fails_says_what_is_missing() {
    let text = |vendor: &str, subjects: &str| {
        let yaml = format!(
            "assessment: {{ title: DPF test, language: en }}\n\
             controller: {{ name: Exempel AB, country: SE }}\n\
             processing:\n  purpose: Testing the DPF status\n  data_subjects: {subjects}\n  data_categories: [contact]\n\
             parties:\n  - {{ id: saas, vendor: {vendor}, role: processor, dpa: {{ change_notice_days: 30, objection_days: 14 }} }}\n\
             flows:\n  - {{ from: controller, to: saas, access: cleartext, transfer_tool: [dpf, scc] }}\n"
        );
        let model = load_model(&yaml, "test.yaml", kb()).unwrap();
        let r = assess(
            &model,
            kb(),
            &AssessOptions {
                policy: Some(BASELINE.into()),
                as_of: Some("2026-12-03".parse().unwrap()),
                lang: None,
                today: Some("2026-12-03".parse().unwrap()),
            },
        )
        .unwrap();
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "CH5-TOOL-INVALID")
            .unwrap_or_else(|| panic!("{:?}", rules(&r)));
        (r.transfers[0].effective, f.explanation.clone())
    };
    let (tool, why) = text("saas-unchecked", "[customers]");
    assert_eq!(tool, TransferTool::Scc);
    assert!(why.contains("nobody has checked"), "{why}");
    let (_, why) = text("saas-active-non-hr", "[employees]");
    assert!(why.contains("HR"), "{why}");
    let (_, why) = text("saas-not-listed", "[customers]");
    assert!(why.contains("is not certified"), "{why}");
}

#[test]
fn a_status_read_on_the_list_needs_the_day_and_the_page() {
    let mut files = vec![(
        "meta.yaml".to_string(),
        std::fs::read_to_string("knowledge/meta.yaml").unwrap(),
    )];
    files.push((
        "vendors/x.yaml".into(),
        "- id: x\n  name: X Inc\n  incorporated: US\n  dpf: { status: active }\n  source: s\n  as_of: 2026-12-03\n".into(),
    ));
    let err = Knowledge::from_files(files, "test").unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("without the day it was checked"), "{text}");
    assert!(text.contains("without the page it was read from"), "{text}");
    assert!(text.contains("without the data it covers"), "{text}");
}

/// Microsoft Ireland from the catalogue, receiving customers' data, under `policy`; `dpa` is
/// the party's own `dpa:` line in the model (empty: the catalogue's terms).
fn microsoft(policy: &str, dpa: &str) -> Report {
    let yaml = format!(
        "assessment: {{ title: DPA test, language: en }}\n\
         controller: {{ name: Exempel kommun, country: SE, kind: public_body }}\n\
         processing:\n  purpose: Testing the DPA terms\n  data_subjects: [customers]\n  data_categories: [contact]\n\
         parties:\n  - {{ id: ms, vendor: microsoft-ireland, role: processor{dpa} }}\n\
         flows:\n  - {{ from: controller, to: ms, access: cleartext }}\n"
    );
    let model = load_model(&yaml, "test.yaml", kb()).expect("the test model loads");
    assess(
        &model,
        kb(),
        &AssessOptions {
            policy: Some(policy.to_string()),
            as_of: Some("2026-12-03".parse().unwrap()),
            lang: None,
            today: Some("2026-12-03".parse().unwrap()),
        },
    )
    .expect("assessment runs")
}

#[test]
fn microsofts_dpa_notice_terms_come_from_the_catalogue_under_both_profiles() {
    for policy in [BASELINE, STOCKHOLM] {
        // The catalogue states the DPA's six months' notice (180 days) and the termination
        // window: the terms are known, so DPA-CHANGE-TERMS does not ask for them.
        let r = microsoft(policy, "");
        assert_eq!(r.parties[0].dpa.change_notice_days, Some(180), "{policy}");
        assert_eq!(r.parties[0].dpa.objection_days, Some(180), "{policy}");
        assert!(!rules(&r).contains(&"DPA-CHANGE-TERMS"), "{policy}");
        // A model that states an agreement without the terms is back to unknown terms.
        let unknown = microsoft(policy, ", dpa: { negotiable: false }");
        assert!(rules(&unknown).contains(&"DPA-CHANGE-TERMS"), "{policy}");
        assert!(unknown.verdict <= r.verdict, "{policy}");
    }
}
