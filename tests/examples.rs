//! Each bundled example assesses as the issue and the seed documents say it must.
mod common;
use common::*;
use tia::engine::ExposureStatus;
use tia::options::OptionStatus;
use tia::Verdict;

const TODAY: &str = "2026-11-22";

#[test]
fn stockholm_m365_is_not_acceptable_under_public_sector_profile() {
    let r = assess_file("examples/stockholm-m365.yaml", None, TODAY);
    assert_eq!(r.policy.id, "se-public-sector");
    assert_eq!(r.verdict, Verdict::NotAcceptable);
    assert!(r.dpia.required);
    assert!(r.prior_consultation_required);
    let ids = finding_ids(&r);
    assert!(ids.contains(&"STH-1@microsoft-ireland/fisa-702"), "{ids:?}");
    assert!(
        ids.contains(&"STH-3@microsoft-ireland/cloud-act"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"STH-7"),
        "the memo's mitigations are recognised: {ids:?}"
    );
    // The exposure is explained through the parent chain.
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "STH-1@microsoft-ireland/fisa-702")
        .unwrap();
    assert!(f.path[0].contains("Microsoft Ireland Operations Limited (IE) → ägs till 100 % av Microsoft Corporation (US) → FISA §702"), "{:?}", f.path);
    assert!(!f.citations.is_empty());
}

#[test]
fn stockholm_m365_offers_a_lawful_alternative_and_marks_customer_keys_infeasible() {
    let r = assess_file("examples/stockholm-m365.yaml", None, TODAY);
    let replace = r
        .options
        .iter()
        .find(|o| o.id == "replace-with-eu-provider")
        .unwrap();
    assert!(replace.feasible);
    assert_eq!(replace.residual_verdict, Some(Verdict::Acceptable));
    let keys = r
        .options
        .iter()
        .find(|o| o.id == "customer-held-keys")
        .unwrap();
    assert!(!keys.feasible);
    assert_eq!(keys.status, OptionStatus::Infeasible);
    assert!(
        keys.reason.as_deref().unwrap().contains("klartext"),
        "{:?}",
        keys.reason
    );
    assert_eq!(
        r.recommended_option.as_deref(),
        Some("replace-with-eu-provider")
    );
    // The four Stockholm courses of action are always considered.
    for course in [1, 2, 3, 4] {
        assert!(
            r.options.iter().any(|o| o.course == Some(course)),
            "course {course}"
        );
    }
}

#[test]
fn stockholm_m365_under_gdpr_baseline_is_not_acceptable_but_shows_the_dpf() {
    let r = assess_file("examples/stockholm-m365.yaml", Some("gdpr-baseline"), TODAY);
    assert_ne!(r.verdict, Verdict::Acceptable);
    let ids = finding_ids(&r);
    assert!(ids.iter().any(|i| i.starts_with("EDPB-UC6@")), "{ids:?}");
    let dpf = r
        .transfers
        .iter()
        .find(|t| t.to == "microsoft-corp")
        .unwrap();
    assert_eq!(dpf.effective, tia::model::TransferTool::Dpf);
    assert!(dpf.basis.as_deref().unwrap().contains("2023/1795"));
    assert!(
        ids.contains(&"CH5-DPF@microsoft-ireland->microsoft-corp"),
        "{ids:?}"
    );
}

#[test]
fn lasia_2026_is_acceptable() {
    let r = assess_file("examples/lasia-2026.yaml", None, TODAY);
    assert_eq!(r.verdict, Verdict::Acceptable);
    assert!(r
        .exposures
        .iter()
        .all(|e| e.status != ExposureStatus::Effective));
    assert_eq!(r.recommended_option.as_deref(), Some("accept-risk"));
}

#[test]
fn lasia_2026_is_acceptable_under_gdpr_baseline_as_of_november_2026() {
    let r = assess_file(
        "examples/lasia-2026.yaml",
        Some("gdpr-baseline"),
        "2026-11-01",
    );
    assert_eq!(r.verdict, Verdict::Acceptable);
    assert_eq!(r.as_of, date("2026-11-01"));
}

#[test]
fn lasia_2024_with_microsoft_and_amazon_is_not_acceptable() {
    let r = assess_file("examples/lasia-2024.yaml", None, TODAY);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
    let exposed: Vec<&str> = r
        .parties
        .iter()
        .filter(|p| p.exposed)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(exposed.len(), 2, "{exposed:?}");
    let replace = r
        .options
        .iter()
        .find(|o| o.id == "replace-with-eu-provider")
        .unwrap();
    assert_eq!(replace.residual_verdict, Some(Verdict::Acceptable));
}

#[test]
fn lessor_is_not_acceptable_through_its_us_parent_although_all_subprocessors_are_in_the_eu() {
    let r = assess_file("examples/lessor.yaml", None, TODAY);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
    let lessor = r
        .exposures
        .iter()
        .find(|e| e.law == "fisa-702" && e.status == ExposureStatus::Effective)
        .unwrap();
    assert!(
        lessor
            .connections
            .iter()
            .any(|c| c.path.contains("Paychex")),
        "{:?}",
        lessor.connections
    );
    assert!(r.findings.iter().any(|f| f.rule == "STH-3"));
    // Every sub-processor is in the EU/EEA and none is exposed.
    for p in r
        .parties
        .iter()
        .filter(|p| p.role == tia::model::Role::Subprocessor)
    {
        assert!(!p.exposed, "{} should not be exposed", p.id);
    }
    let criteria: Vec<u8> = r.dpia.criteria.iter().map(|c| c.number).collect();
    assert!(
        criteria.contains(&4) && criteria.contains(&7),
        "sensitive data and employees: {criteria:?}"
    );
    assert!(r.dpia.required);
}

#[test]
fn lessor_under_gdpr_baseline_has_no_chapter_v_transfer_but_keeps_the_exposure_finding() {
    let r = assess_file("examples/lessor.yaml", Some("gdpr-baseline"), TODAY);
    assert!(
        r.transfers.iter().all(|t| t.third_countries.is_empty()),
        "no third-country transfer"
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.rule == "ART28-EXPOSURE" && f.effect != tia::knowledge::Effect::Inform));
    assert_ne!(r.verdict, Verdict::Acceptable);
}

#[test]
fn bl_administration_is_acceptable() {
    assert_eq!(
        assess_file("examples/bl-administration.yaml", None, TODAY).verdict,
        Verdict::Acceptable
    );
}

#[test]
fn evovia_with_its_all_eu_chain_is_acceptable() {
    let r = assess_file("examples/evovia.yaml", None, TODAY);
    assert_eq!(r.verdict, Verdict::Acceptable);
    assert!(
        r.exposures.is_empty(),
        "{:?}",
        r.exposures.iter().map(|e| &e.party).collect::<Vec<_>>()
    );
}

#[test]
fn the_report_says_which_knowledge_and_input_it_used() {
    let r = assess_file("examples/lasia-2026.yaml", None, TODAY);
    assert_eq!(r.schema_version, "1.0");
    assert_eq!(r.input_sha256.len(), 64);
    assert!(!r.knowledge.version.is_empty());
    let text = std::fs::read("examples/lasia-2026.yaml").unwrap();
    assert_eq!(r.input_sha256, tia::model::sha256_hex(&text));
}

#[test]
fn a_json_model_assesses_like_its_yaml_twin() {
    let kb = kb();
    let yaml = std::fs::read_to_string("examples/lessor.yaml").unwrap();
    let value: serde_json::Value = serde_yaml::from_str(&yaml).unwrap();
    let json = serde_json::to_string_pretty(&value).unwrap();
    let m = tia::load_model(&json, "lessor.json", &kb).unwrap();
    let r = tia::assess(&m, &kb, &opts(None, TODAY)).unwrap();
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn an_assessment_warns_about_the_stale_knowledge_it_relied_on() {
    let kb = kb();
    let text = std::fs::read_to_string("examples/stockholm-m365.yaml").unwrap();
    let model = tia::load_model(&text, "s.yaml", &kb).unwrap();
    let mut o = opts(None, TODAY);
    o.today = Some(date("2030-01-01"));
    let r = tia::assess(&model, &kb, &o).unwrap();
    let stale: Vec<&str> = r
        .warnings
        .iter()
        .filter_map(|w| w.stale.as_ref())
        .map(|s| s.id.as_str())
        .collect();
    assert!(
        stale.contains(&"fisa-702"),
        "a law the assessment used: {stale:?}"
    );
    assert!(
        stale.contains(&"microsoft-ireland"),
        "a vendor the model names: {stale:?}"
    );
    assert!(
        !stale.contains(&"ru-374-fz"),
        "a law that reaches no party is not reported: {stale:?}"
    );
    let fresh = assess_file("examples/stockholm-m365.yaml", None, TODAY);
    assert!(fresh.warnings.iter().all(|w| w.kind != "stale_knowledge"));
}
