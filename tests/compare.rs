//! `tia compare`: the procurement examples are ranked under one profile, and reports assessed
//! under different profiles are refused.
mod common;
use common::*;
use tia::compare::{compare, Comparison, Entry, RANKING_BASIS};
use tia::knowledge::OptionAction;
use tia::{Report, Verdict};

const AS_OF: &str = "2026-11-01";

fn procurement(policy: &str) -> Vec<Report> {
    let mut files: Vec<_> = std::fs::read_dir("examples/procurement")
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
        .iter()
        .map(|f| assess_file(f, Some(policy), AS_OF))
        .collect()
}

fn entry<'a>(c: &'a Comparison, file: &str) -> &'a Entry {
    c.entries
        .iter()
        .find(|e| e.file.ends_with(file))
        .unwrap_or_else(|| panic!("{file} is compared"))
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<&str> {
    items.iter().map(id).collect()
}

#[test]
fn the_eu_suite_ranks_first_under_the_public_sector_profile() {
    let c = compare(&kb(), &procurement("se-public-sector")).unwrap();
    assert_eq!(c.policy.id, "se-public-sector");
    assert_eq!(c.as_of, date(AS_OF));
    assert_eq!(c.ranking_basis, RANKING_BASIS);
    assert_eq!(c.entries.len(), 3, "every procurement example is compared");
    let ranks: Vec<usize> = c.entries.iter().map(|e| e.rank).collect();
    assert_eq!(ranks, [1, 2, 3]);

    let eu = &c.entries[0];
    assert!(
        eu.file.ends_with("nextcloud-safespring.yaml"),
        "{}",
        eu.file
    );
    assert_eq!(eu.verdict, Verdict::Acceptable);
    assert!(!eu.prior_consultation_required);
    assert!(eu.dpia_required);
    assert_eq!(ids(&eu.processors, |p| p.id.as_str()), ["safespring"]);
    assert_eq!(eu.processors[0].country, "SE");
    assert!(eu.exposed_parties.is_empty() && eu.laws.is_empty());
    assert_eq!(eu.findings.blocking + eu.findings.measures, 0);
    assert_eq!(eu.combined_probability, Some(0.0));
    assert_eq!(
        eu.best_option.as_ref().unwrap().action,
        OptionAction::AcceptRisk
    );

    let ms = entry(&c, "microsoft-365.yaml");
    assert_eq!(ms.verdict, Verdict::NotAcceptable);
    assert!(ms.prior_consultation_required);
    assert_eq!(
        ms.processors[0].name,
        "Microsoft Ireland Operations Limited"
    );
    let laws = ids(&ms.laws, |l| l.id.as_str());
    assert!(
        laws.contains(&"fisa-702") && laws.contains(&"cloud-act"),
        "{laws:?}"
    );
    let ireland = ms
        .exposed_parties
        .iter()
        .find(|p| p.id == "microsoft-ireland")
        .unwrap();
    assert_eq!(ireland.country, "IE");
    assert_eq!(
        ids(&ireland.laws, |l| l.id.as_str()),
        ["fisa-702", "cloud-act"]
    );
    assert!(ms
        .blocking_findings
        .iter()
        .any(|f| f.id == "STH-1@microsoft-ireland/fisa-702" && !f.title.is_empty()));
    assert_eq!(ms.findings.blocking, ms.blocking_findings.len());
    let cats = ids(&ms.data_categories, |c| c.id.as_str());
    assert!(
        cats.contains(&"national_id") && cats.contains(&"health"),
        "{cats:?}"
    );
    assert_eq!(
        ms.exposed_sensitive_categories, 2,
        "personnummer and health"
    );
    let best = ms.best_option.as_ref().unwrap();
    assert_eq!(best.action, OptionAction::ReplaceWithEuProvider);
    assert_eq!(best.residual_verdict, Some(Verdict::Acceptable));
    assert!(ms.combined_probability.unwrap() > 0.0);
    // A strict order: each entry is no better than the one before it.
    for w in c.entries.windows(2) {
        assert!(w[0].verdict >= w[1].verdict);
    }
}

#[test]
fn the_comparison_serialises_ids_names_and_ranking_data() {
    let c = compare(&kb(), &procurement("se-public-sector")).unwrap();
    let json = serde_json::to_value(&c).unwrap();
    for key in [
        "policy",
        "as_of",
        "knowledge",
        "language",
        "ranking_basis",
        "entries",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["policy"]["name"], "Stockholms stads linje (2021)");
    assert_eq!(json["ranking_basis"][0], "verdict");
    let ms = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"].as_str().unwrap().ends_with("microsoft-365.yaml"))
        .unwrap();
    for key in [
        "rank",
        "title",
        "file",
        "input_sha256",
        "processors",
        "verdict",
        "verdict_text",
        "prior_consultation_required",
        "dpia_required",
        "effective_exposures",
        "exposed_sensitive_categories",
        "exposed_parties",
        "laws",
        "data_categories",
        "findings",
        "blocking_findings",
        "best_option",
        "combined_probability",
    ] {
        assert!(ms.get(key).is_some(), "{key}");
    }
    assert_eq!(ms["verdict"], "not_acceptable");
    assert_eq!(ms["best_option"]["action"], "replace_with_eu_provider");
    assert_eq!(ms["best_option"]["residual_verdict"], "acceptable");
    let fisa = ms["laws"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "fisa-702")
        .unwrap();
    assert_eq!(fisa["short"], "FISA §702");
    assert_eq!(fisa["jurisdiction"], "US");
    let national_id = ms["data_categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "national_id")
        .unwrap();
    assert_eq!(national_id["name"], "Personnummer och samordningsnummer");
    assert_eq!(national_id["sensitive"], true);
    assert!(ms["findings"]["blocking"].as_u64().unwrap() > 0);
}

#[test]
fn the_eu_suite_also_ranks_first_under_the_gdpr_baseline() {
    let c = compare(&kb(), &procurement("gdpr-baseline")).unwrap();
    assert_eq!(c.policy.id, "gdpr-baseline");
    let eu = &c.entries[0];
    assert!(
        eu.file.ends_with("nextcloud-safespring.yaml"),
        "{}",
        eu.file
    );
    assert_eq!(eu.verdict, Verdict::Acceptable);
    let ms = entry(&c, "microsoft-365.yaml");
    assert_eq!(ms.verdict, Verdict::NotAcceptable);
    // Microsoft Corporation's DPF List entry is unchecked in the catalogue, so the DPF covers
    // nothing for it and it is exposed in its own right; Microsoft Ireland and Microsoft India
    // are reached through their US parent (foreign access), and India's law reaches the remote
    // access from there.
    let laws = ids(&ms.laws, |l| l.id.as_str());
    assert!(
        laws.contains(&"in-it-act-69") && laws.contains(&"cloud-act"),
        "{laws:?}"
    );
    assert_eq!(
        ids(&ms.exposed_parties, |p| p.id.as_str()),
        ["microsoft-ireland", "microsoft-corp", "microsoft-india"]
    );
    assert_eq!(
        ms.best_option.as_ref().unwrap().action,
        OptionAction::ReplaceWithEuProvider
    );
    // Google's offer would rest on the DPF for Google LLC, but its DPF List entry is unchecked
    // in the catalogue: the remote access falls back on SCCs without an effective measure, so
    // the offer is not acceptable either (with the listing checked it needs measures only: see
    // tests/examples.rs). The EU suite still ranks first.
    let google = entry(&c, "google-workspace.yaml");
    assert_eq!(google.verdict, Verdict::NotAcceptable);
    assert!(eu.rank < google.rank);
}

#[test]
fn reports_under_different_policies_are_refused() {
    let reports = vec![
        assess_file(
            "examples/procurement/microsoft-365.yaml",
            Some("se-public-sector"),
            AS_OF,
        ),
        assess_file(
            "examples/procurement/nextcloud-safespring.yaml",
            Some("gdpr-baseline"),
            AS_OF,
        ),
    ];
    let err = compare(&kb(), &reports).unwrap_err();
    let d = &err.diagnostics[0];
    assert_eq!(d.file, "examples/procurement/nextcloud-safespring.yaml");
    assert!(
        d.message.contains("gdpr-baseline") && d.message.contains("se-public-sector"),
        "{}",
        d.message
    );
    assert!(d.hint.as_deref().unwrap().contains("--policy"));
}

#[test]
fn reports_on_different_dates_or_none_are_refused() {
    let file = "examples/procurement/nextcloud-safespring.yaml";
    let reports = vec![
        assess_file(file, None, AS_OF),
        assess_file(file, None, "2023-01-01"),
    ];
    let err = compare(&kb(), &reports).unwrap_err();
    assert!(err.diagnostics[0].message.contains("as_of"), "{err}");
    assert!(compare(&kb(), &[]).is_err());
}
