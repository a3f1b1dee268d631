//! Options make sense in context: each declares in knowledge/options when it applies, and an
//! option that does not apply is listed as not applicable with the reason, never as feasible.
mod common;
use common::*;
use tia::options::OptionStatus;
use tia::Report;

/// A Swedish company whose US-owned processor reads the data in the clear (an exposure every
/// option can act on), with the processing lines given.
fn exposed(processing: &str, categories: &str) -> Report {
    let text = format!(
        "controller: {{ name: Exempel AB, country: SE, kind: company }}\nprocessing:\n  purpose: Test\n  data_subjects: [employees]\n  data_categories: {categories}\n{processing}parties:\n  - {{ id: acme, role: processor, incorporated: IE, locations: [IE], parents: [{{ name: Acme Inc, country: US, share: 1, parents: none }}], dpa: {{ change_notice_days: 30, objection_days: 14 }} }}\nflows:\n  - {{ from: controller, to: acme, access: cleartext }}\n"
    );
    assess_text(&text, Some("se-public-sector"), "2026-11-01")
}

fn option<'r>(r: &'r Report, id: &str) -> &'r tia::options::OptionResult {
    r.options
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no option {id}"))
}

#[test]
fn opting_out_is_not_applicable_when_taking_part_is_required() {
    let r = exposed("  participation: required\n", "[identity, salary]");
    let o = option(&r, "opt-out");
    assert_eq!(o.status, OptionStatus::NotApplicable);
    assert!(!o.feasible);
    assert!(
        o.reason.as_deref().unwrap().contains("inte frivilligt"),
        "{:?}",
        o.reason
    );
    assert_eq!(o.residual_verdict, None);
}

#[test]
fn opting_out_is_not_applicable_when_the_model_does_not_say_participation_is_voluntary() {
    let r = exposed("", "[identity, salary]");
    let o = option(&r, "opt-out");
    assert_eq!(o.status, OptionStatus::NotApplicable);
    assert!(
        o.reason
            .as_deref()
            .unwrap()
            .contains("participation: voluntary"),
        "{:?}",
        o.reason
    );
}

#[test]
fn opting_out_is_feasible_when_taking_part_is_voluntary() {
    let r = exposed("  participation: voluntary\n", "[identity, salary]");
    assert_eq!(option(&r, "opt-out").status, OptionStatus::Feasible);
}

#[test]
fn excluding_protected_identities_applies_only_when_such_data_are_there() {
    let r = exposed("  participation: voluntary\n", "[identity, salary]");
    let o = option(&r, "exclude-protected-identity");
    assert_eq!(o.status, OptionStatus::NotApplicable);
    assert!(
        o.reason
            .as_deref()
            .unwrap()
            .contains("skyddade personuppgifter"),
        "{:?}",
        o.reason
    );
    let r = exposed("", "[identity, protected_identity]");
    assert_eq!(
        option(&r, "exclude-protected-identity").status,
        OptionStatus::Feasible
    );
}

#[test]
fn minimising_applies_only_to_categories_the_purpose_does_not_need() {
    // A payroll provider needs the national identity numbers: nothing to minimise.
    let r = exposed(
        "  participation: required\n",
        "[identity, national_id, salary]",
    );
    let o = option(&r, "minimise-categories");
    assert_eq!(o.status, OptionStatus::NotApplicable);
    assert!(
        o.reason.as_deref().unwrap().contains("necessary: false"),
        "{:?}",
        o.reason
    );
    // Marked as not needed: the option removes it and the sensitive-data finding goes.
    let r = exposed(
        "  participation: required\n",
        "[identity, { id: national_id, necessary: false }, salary]",
    );
    let o = option(&r, "minimise-categories");
    assert_eq!(o.status, OptionStatus::Feasible);
    assert!(
        o.resolved_findings
            .iter()
            .any(|f| f.starts_with("RISK-SENSITIVE@")),
        "{:?}",
        o.resolved_findings
    );
}

#[test]
fn pseudonymising_resolves_the_cleartext_findings_for_a_service_that_need_not_identify() {
    let text = "controller: { name: Exempel AB, country: SE, kind: company }\nprocessing:\n  purpose: Statistik\n  data_subjects: [customers]\n  data_categories: [contact]\nparties:\n  - { id: stats, role: processor, incorporated: US, locations: [US], parents: none, needs_cleartext: false, dpa: { change_notice_days: 30, objection_days: 14 } }\nflows:\n  - { from: controller, to: stats, access: cleartext, transfer_tool: scc }\n";
    let r = assess_text(text, Some("se-public-sector"), "2026-11-01");
    let o = option(&r, "pseudonymise");
    assert_eq!(o.status, OptionStatus::Feasible);
    assert!(
        o.resolved_findings.iter().any(|f| f.starts_with("STH-9@")),
        "{:?}",
        o.resolved_findings
    );
}

#[test]
fn stockholms_four_courses_are_numbered_as_in_the_seed_memo() {
    let r = assess_file("examples/stockholm-m365.yaml", None, "2026-11-22");
    let course = |id: &str| option(&r, id).course;
    assert_eq!(course("accept-risk"), Some(1));
    assert_eq!(course("wait-and-monitor"), Some(2));
    // Leaving the ecosystem (rejected in 2021) is switching the provider.
    assert_eq!(course("replace-with-eu-provider"), Some(3));
    // The decision: keep the on-premises delivery and complement it.
    assert_eq!(course("on-premises"), Some(4));
}
