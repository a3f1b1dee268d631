//! Benchmark: a register of 10,000 systems of realistic size (3 to 12 parties, catalogue
//! vendors, US SaaS on the DPF, EU subsidiaries of US groups, SCCs, Swedish-only chains)
//! re-judged under today's knowledge and the `dpf-invalid` scenario by two workers.
//! `cargo bench --bench portfolio` prints the time and the peak RSS of the judging process
//! (the register is generated first, by a separate process, so that its memory is not counted).
//! Target: under 10 s on 2 cores, with memory bounded by the page size, not by the register.
//! Set TIA_BENCH_SYSTEMS to change the number of systems.

use std::fmt::Write;
use std::time::Instant;
use tia::portfolio::{self, PortfolioOptions};
use tia::store::{NewVersion, Store};
use tia::Knowledge;

/// One system's model: a processor and its sub-processors, in one of ten shapes.
fn model(i: usize) -> String {
    let shape = i % 10;
    let policy = if i.is_multiple_of(3) {
        "se-public-sector"
    } else {
        "gdpr-baseline"
    };
    let mut s = format!(
        "assessment: {{ title: System {i}, language: sv, policy: {policy} }}\n\
         controller: {{ name: Exempel kommun, country: SE, kind: public_body }}\n\
         processing:\n  purpose: Verksamhetssystem {i}\n  data_subjects: [employees, customers]\n  \
         data_categories: [identity, contact{}]\n  scale: {{ subjects: {} }}\n\
         parties:\n",
        if i.is_multiple_of(4) {
            ", national_id"
        } else {
            ""
        },
        1000 + (i % 50) * 400
    );
    let processor = match shape {
        0 => "name: Saas Inc, incorporated: US, locations: [US], parents: none, dpf_certified: true".to_string(),
        1 => "vendor: microsoft-ireland".to_string(),
        2 => "vendor: safespring".to_string(),
        3 => "name: Other Inc, incorporated: US, locations: [US], parents: none, dpf_certified: false".to_string(),
        4 => "vendor: google-cloud-emea".to_string(),
        _ => format!("name: Leverantör {i} AB, incorporated: SE, locations: [SE], parents: none"),
    };
    let _ = writeln!(
        s,
        "  - {{ id: p0, role: processor, dpa: {{ change_notice_days: 30, objection_days: 14 }}, {processor} }}"
    );
    let subs = 2 + i % 11;
    for k in 1..=subs {
        let sub = match (k + i) % 6 {
            0 => "vendor: teamviewer-germany".to_string(),
            1 => "vendor: safespring".to_string(),
            2 => format!("name: Drift {k} Oy, incorporated: FI, locations: [FI], parents: none"),
            3 => format!("name: Support {k} GmbH, incorporated: DE, locations: [DE], access_locations: [IN], parents: none"),
            4 => "vendor: ovh-sas".to_string(),
            _ => format!("name: Backup {k} AB, incorporated: SE, locations: [SE], parents: none"),
        };
        let _ = writeln!(s, "  - {{ id: s{k}, role: subprocessor, {sub} }}");
    }
    s.push_str("flows:\n");
    let tool = match shape {
        3 => ", transfer_tool: scc",
        _ => "",
    };
    let _ = writeln!(
        s,
        "  - {{ from: controller, to: p0, access: cleartext{tool} }}"
    );
    for k in 1..=subs {
        let access = match k % 4 {
            0 => "storage_encrypted, key_holder: controller",
            1 => "remote_access, measures: [transport_encryption]",
            _ => "cleartext",
        };
        let _ = writeln!(s, "  - {{ from: p0, to: s{k}, access: {access} }}");
    }
    s
}

fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn main() {
    let n: usize = std::env::var("TIA_BENCH_SYSTEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let Ok(db) = std::env::var("TIA_BENCH_JUDGE") {
        return judge(&rt, &db);
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portfolio.db").display().to_string();
    let kb = Knowledge::embedded().unwrap();
    let start = Instant::now();
    rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        // Assess each distinct shape once; the saved result is reused for its copies.
        let mut saved: Vec<NewVersion> = Vec::new();
        for i in 0..110 {
            let text = model(i);
            let m = tia::load_model(&text, "system.yaml", &kb).unwrap();
            let r = tia::assess(
                &m,
                &kb,
                &tia::AssessOptions {
                    as_of: Some("2026-12-03".parse().unwrap()),
                    today: Some("2026-12-03".parse().unwrap()),
                    ..Default::default()
                },
            )
            .unwrap();
            saved.push(NewVersion::from_report("system.yaml", &text, &r, None, "bench").unwrap());
        }
        for i in 0..n {
            let mut v = saved[i % saved.len()].clone();
            v.model_text =
                v.model_text
                    .replacen("Verksamhetssystem ", &format!("Verksamhetssystem {i}/"), 1);
            store
                .create_system(&format!("System {i}"), &v)
                .await
                .unwrap();
        }
        store.close().await;
    });
    println!(
        "generated a register of {n} systems in {:.1} s ({db})",
        start.elapsed().as_secs_f64()
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("TIA_BENCH_JUDGE", &db)
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}

/// The timed part, in its own process: open the register, judge every system under today's
/// knowledge and the DPF scenario, keep the summary rows.
fn judge(rt: &tokio::runtime::Runtime, db: &str) {
    let kb = Knowledge::embedded().unwrap();
    let before = peak_rss_kib();
    let start = Instant::now();
    let store = rt.block_on(Store::open(db)).unwrap();
    let scenarios = kb.scenario_or_file("dpf-invalid").unwrap();
    let day = "2027-01-01".parse().unwrap();
    let opts = PortfolioOptions {
        as_of: day,
        today: "2026-12-03".parse().unwrap(),
        scenarios,
        from: Some(day),
        changelog: portfolio::changelog_for(None),
        lang: tia::model::Lang::Sv,
        workers: 2,
    };
    let handle = rt.handle().clone();
    let p = portfolio::run(
        &kb,
        portfolio::register_systems(&handle, &store, 200),
        &opts,
        &|_| {},
    )
    .unwrap();
    let elapsed = start.elapsed();
    let csv = portfolio::to_csv(&p).unwrap();
    println!(
        "judged {} systems (today and under dpf-invalid from {day}) with 2 workers in {:.2} s; {} change verdict under the scenario, {} flows lose their tool; CSV {} KiB",
        p.counts.systems,
        elapsed.as_secs_f64(),
        p.counts.what_if_changed,
        p.counts.flows_losing_tool,
        csv.len() / 1024
    );
    println!(
        "peak RSS of the judging process: {} MiB (before judging: {} MiB)",
        peak_rss_kib().unwrap_or(0) / 1024,
        before.unwrap_or(0) / 1024
    );
}
