//! The exposure analysis and the transfer tools over time.
mod common;
use common::*;
use tia::engine::ExposureStatus;
use tia::model::TransferTool;
use tia::Verdict;

const HEAD: &str = "controller:\n  name: Exempel kommun\n  country: SE\n  kind: public_body\nprocessing:\n  purpose: Personaladministration\n  data_subjects: [employees]\n  data_categories: [identity, contact]\n";

fn one_party(party: &str, flow: &str) -> String {
    format!("{HEAD}parties:\n  - {party}\nflows:\n  - {flow}\n")
}

#[test]
fn an_eu_subsidiary_of_a_us_parent_is_exposed_through_the_parent_chain() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, id: sub, role: processor, name: Sub AB, incorporated: SE, locations: [SE], parents: [{ name: Parent Inc., country: US, share: 1.0, parents: none }] }",
        "{ from: controller, to: sub, access: cleartext }",
    );
    let r = assess_text(&m, None, "2026-11-01");
    let e = r
        .exposures
        .iter()
        .find(|e| e.law == "cloud-act")
        .expect("CLOUD Act reaches the subsidiary");
    assert_eq!(e.status, ExposureStatus::Effective);
    assert_eq!(
        e.connections[0].path,
        "Sub AB (SE) → ägs till 100 % av Parent Inc. (US) → CLOUD Act §2713 (18 U.S.C. §2713)"
    );
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn an_eu_company_with_no_foreign_parent_is_not_exposed() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, id: eu, role: processor, name: EU AB, incorporated: SE, locations: [SE], parents: [{ name: Holding AB, country: SE, share: 1.0, parents: none }] }",
        "{ from: controller, to: eu, access: cleartext }",
    );
    let r = assess_text(&m, None, "2026-11-01");
    assert!(
        r.exposures.is_empty(),
        "{:?}",
        r.exposures.iter().map(|e| &e.law).collect::<Vec<_>>()
    );
    assert_eq!(r.verdict, Verdict::Acceptable);
}

#[test]
fn a_minority_us_holding_counts_as_control_only_under_the_strict_profile() {
    // 30 % is above SecNumCloud's 24 % but below the baseline's 50 %.
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, id: eu, role: processor, name: EU AB, incorporated: SE, locations: [SE], parents: [{ name: US Fund LP, country: US, share: 0.3, parents: none }] }",
        "{ from: controller, to: eu, access: cleartext }",
    );
    let strict = assess_text(&m, Some("se-public-sector"), "2026-11-01");
    assert!(strict.exposures.iter().any(|e| e.law == "fisa-702"));
    let baseline = assess_text(&m, Some("gdpr-baseline"), "2026-11-01");
    assert!(baseline.exposures.is_empty());
}

#[test]
fn foreign_holders_together_above_the_combined_threshold_control_the_entity() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, id: eu, role: processor, name: EU AB, incorporated: SE, locations: [SE], parents: [{ name: A LP, country: US, share: 0.2, parents: none }, { name: B LP, country: US, share: 0.2, parents: none }, { name: C AB, country: SE, share: 0.6, parents: none }] }",
        "{ from: controller, to: eu, access: cleartext }",
    );
    let r = assess_text(&m, Some("se-public-sector"), "2026-11-01");
    assert!(
        r.exposures.iter().any(|e| e.law == "cloud-act"),
        "20 % + 20 % > 39 %"
    );
}

#[test]
fn a_sub_processors_exposure_reaches_the_controller_through_onward_flows() {
    let m = format!(
        "{HEAD}parties:\n  - {{ dpa: {{ change_notice_days: 30, objection_days: 14 }}, parents: none, id: p, role: processor, name: P AB, incorporated: SE, locations: [SE] }}\n  - {{ parents: none, id: s, role: subprocessor, name: S Inc., incorporated: US, locations: [US] }}\nflows:\n  - {{ from: controller, to: p, access: cleartext }}\n  - {{ from: p, to: s, access: cleartext, transfer_tool: scc }}\n"
    );
    let r = assess_text(&m, None, "2026-11-01");
    let e = r
        .exposures
        .iter()
        .find(|e| e.party == "s" && e.law == "fisa-702")
        .unwrap();
    assert_eq!(e.chain, "Exempel kommun → P AB → S Inc.");
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn customer_held_keys_neutralise_the_exposure() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, parents: none, id: s, role: processor, name: Backup Inc., incorporated: US, locations: [US], needs_cleartext: false }",
        "{ from: controller, to: s, access: storage_encrypted, key_holder: controller, transfer_tool: scc }",
    );
    let r = assess_text(&m, None, "2026-11-01");
    assert!(r
        .exposures
        .iter()
        .all(|e| e.status == ExposureStatus::Neutralised));
    assert!(r.findings.iter().any(|f| f.rule == "EDPB-UC1"));
    assert!(!r.findings.iter().any(|f| f.rule == "STH-1"));
}

fn dpf_party(tools: &str) -> String {
    one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, parents: none, id: us, role: processor, name: US Cloud Inc., incorporated: US, locations: [US], dpf_certified: true }",
        &format!("{{ from: controller, to: us, access: cleartext{tools} }}"),
    )
}

#[test]
fn the_dpf_becomes_the_transfer_tool_only_from_10_july_2023() {
    let m = dpf_party(", transfer_tool: [dpf, scc]");
    let before = assess_text(&m, Some("gdpr-baseline"), "2023-07-09");
    let after = assess_text(&m, Some("gdpr-baseline"), "2023-07-10");
    assert_eq!(before.transfers[0].effective, TransferTool::Scc);
    assert_eq!(before.transfers[0].invalid[0].tool, TransferTool::Dpf);
    assert!(before.findings.iter().any(|f| f.rule == "CH5-TOOL-INVALID"));
    assert_eq!(after.transfers[0].effective, TransferTool::Dpf);
    assert!(after.transfers[0].invalid.is_empty());
    // Under the baseline the DPF covers the certified importer; before it nothing did.
    assert!(after
        .exposures
        .iter()
        .all(|e| e.status == ExposureStatus::CoveredByAdequacy));
    assert_eq!(before.verdict, Verdict::NotAcceptable);
}

#[test]
fn an_inferred_tool_follows_the_date_too() {
    let m = dpf_party("");
    assert_eq!(
        assess_text(&m, Some("gdpr-baseline"), "2021-01-01").transfers[0].effective,
        TransferTool::None
    );
    let r = assess_text(&m, Some("gdpr-baseline"), "2024-01-01");
    assert_eq!(r.transfers[0].effective, TransferTool::Dpf);
    assert!(r.transfers[0].inferred);
}

#[test]
fn privacy_shield_was_valid_until_the_schrems_ii_judgment() {
    let m = dpf_party(", transfer_tool: privacy_shield");
    assert_eq!(
        assess_text(&m, Some("gdpr-baseline"), "2019-06-01").transfers[0].effective,
        TransferTool::PrivacyShield
    );
    let after = assess_text(&m, Some("gdpr-baseline"), "2020-07-16");
    assert_eq!(after.transfers[0].effective, TransferTool::None);
    assert!(after.findings.iter().any(|f| f.rule == "CH5-NO-TOOL"));
}

#[test]
fn the_public_sector_profile_does_not_trust_the_dpf() {
    let m = dpf_party(", transfer_tool: dpf");
    let r = assess_text(&m, None, "2026-11-01");
    assert_eq!(
        r.transfers[0].effective,
        TransferTool::Dpf,
        "the tool exists"
    );
    assert_eq!(
        r.verdict,
        Verdict::NotAcceptable,
        "but the exposure stays (STH-1, STH-9)"
    );
}

#[test]
fn a_quantitative_estimate_is_shown_and_never_changes_the_verdict() {
    let base = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, parents: none, id: us, role: processor, name: US Cloud Inc., incorporated: US, locations: [SE] }",
        "{ from: controller, to: us, access: cleartext }",
    );
    let with = format!("{base}risk_estimate:\n  horizon_years: 5\n  laws:\n    - law: cloud-act\n      factors:\n        - {{ name: request, probability: 0.1 }}\n        - {{ name: success, probability: 0.2 }}\n");
    let a = assess_text(&base, None, "2026-11-01");
    let b = assess_text(&with, None, "2026-11-01");
    assert_eq!(a.verdict, b.verdict);
    let e = b.quantitative_estimate.unwrap();
    let expected = 1.0 - (1.0f64 - 0.02).powf(5.0);
    assert!(
        (e.combined_probability - expected).abs() < 1e-12,
        "{}",
        e.combined_probability
    );
    assert!(b.findings.iter().any(|f| f.rule == "STH-4"));
}

#[test]
fn english_explanations_on_request() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, id: sub, role: processor, name: Sub AB, incorporated: SE, locations: [SE], parents: [{ name: Parent Inc., country: US, share: 1.0, parents: none }] }",
        "{ from: controller, to: sub, access: cleartext }",
    );
    let kb = kb();
    let model = tia::load_model(&m, "t.yaml", &kb).unwrap();
    let mut o = opts(None, "2026-11-01");
    o.lang = Some(tia::model::Lang::En);
    let r = tia::assess(&model, &kb, &o).unwrap();
    assert_eq!(r.verdict_text, "not acceptable");
    assert!(r.exposures[0].connections[0]
        .path
        .contains("owned 100 % by Parent Inc. (US)"));
}

#[test]
fn sccs_to_an_adequate_country_do_not_trigger_the_stockholm_transfer_rule() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, parents: none, id: ch, role: processor, name: Swiss AG, incorporated: CH, locations: [CH] }",
        "{ from: controller, to: ch, access: cleartext, transfer_tool: scc }",
    );
    let r = assess_text(&m, None, "2026-11-01");
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "STH-9" || f.rule == "CH5-SCC-TIA"),
        "{:?}",
        finding_ids(&r)
    );
    assert_eq!(r.verdict, Verdict::Acceptable);
}

#[test]
fn unencrypted_transit_through_the_us_is_a_cleartext_transfer_under_the_stockholm_rule() {
    let m = one_party(
        "{ dpa: { change_notice_days: 30, objection_days: 14 }, parents: none, id: carrier, role: processor, name: Carrier Inc., incorporated: US, locations: [US] }",
        "{ from: controller, to: carrier, access: transit_only, transfer_tool: scc }",
    );
    let r = assess_text(&m, None, "2026-11-01");
    assert!(
        r.findings
            .iter()
            .any(|f| f.id == "STH-9@controller->carrier"),
        "{:?}",
        finding_ids(&r)
    );
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}
