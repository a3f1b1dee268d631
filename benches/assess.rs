//! Benchmark: assess generated graphs of 10, 1,000 and 10,000 parties (the whole assessment:
//! graph, exposures, rules, verdict and every option re-assessed). Run with
//! `cargo bench --bench assess`; prints the median and the fastest of several runs.
//! Target: 10,000 parties under 100 ms.

use std::fmt::Write;
use std::time::{Duration, Instant};
use tia::{assess, load_model, AssessOptions, Knowledge};

/// A controller → processors → sub-processors tree with a realistic mix: mostly EU parties,
/// some US-owned EU subsidiaries, some US and Indian locations, encrypted backups and support.
fn generate(n: usize) -> String {
    let mut s = String::from(
        "controller: { name: Bench kommun, country: SE, public_body: true }\nprocessing:\n  purpose: Benchmark\n  data_subjects: [employees, citizens]\n  data_categories: [identity, contact, national_id, health, communications]\n  scale: { subjects: 50000 }\nparties:\n",
    );
    let processors = (n / 10).max(1);
    for i in 0..n {
        let role = if i < processors {
            "processor"
        } else {
            "subprocessor"
        };
        let (inc, loc, extra) = match i % 10 {
            0 => ("US", "[US]", ", dpf_certified: true"),
            1 => ("IE", "[IE, SE]", ", parents: [{ name: Parent Inc., country: US, share: 1.0 }]"),
            2 => ("DE", "[DE]", ", access_locations: [IN]"),
            3 => ("SE", "[SE]", ", parents: [{ name: Fund A, country: US, share: 0.2 }, { name: Fund B, country: US, share: 0.25 }, { name: Holding AB, country: SE, share: 0.55 }]"),
            _ => ("SE", "[SE, FI]", ""),
        };
        let _ = writeln!(s, "  - {{ id: p{i}, name: Party {i}, role: {role}, incorporated: {inc}, locations: {loc}{extra} }}");
    }
    s.push_str("flows:\n");
    for i in 0..n {
        let from = if i < processors {
            "controller".to_string()
        } else {
            format!("p{}", i % processors)
        };
        let access = match i % 7 {
            0 => "storage_encrypted, key_holder: controller",
            1 => "remote_access, measures: [transport_encryption], transfer_tool: [dpf, scc]",
            2 => "transit_only, measures: [transport_encryption]",
            _ => "cleartext, transfer_tool: scc",
        };
        let _ = writeln!(s, "  - {{ from: {from}, to: p{i}, access: {access} }}");
    }
    s
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> (Duration, Duration) {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    t.sort();
    (t[t.len() / 2], t[0])
}

fn main() {
    let kb = Knowledge::embedded().expect("knowledge");
    let opts = AssessOptions {
        policy: None,
        as_of: Some("2026-11-01".parse().unwrap()),
        lang: None,
        today: Some("2026-11-22".parse().unwrap()),
    };
    println!(
        "{:>8}  {:>12}  {:>12}  {:>12}  {:>9}  {:>8}  verdict",
        "parties", "parse med", "assess med", "assess min", "findings", "options"
    );
    let mut breakdown = Vec::new();
    for n in [10usize, 1_000, 10_000] {
        let text = generate(n);
        let runs = if n >= 10_000 { 7 } else { 21 };
        let (parse_med, _) = time(runs.min(7), || {
            load_model(&text, "bench.yaml", &kb).unwrap();
        });
        let model = load_model(&text, "bench.yaml", &kb).unwrap();
        let mut last = None;
        let (med, min) = time(runs, || {
            last = Some(assess(&model, &kb, &opts).unwrap());
        });
        let r = last.unwrap();
        let policy = kb.default_policy();
        let as_of = opts.as_of.unwrap();
        let (an_med, _) = time(runs, || {
            tia::engine::Analysis::run(&model, &kb, policy, as_of);
        });
        let an = tia::engine::Analysis::run(&model, &kb, policy, as_of);
        let (opt_med, _) = time(runs, || {
            tia::options::evaluate(&an);
        });
        breakdown.push((n, an_med, opt_med));
        println!(
            "{n:>8}  {:>10.2}ms  {:>10.2}ms  {:>10.2}ms  {:>9}  {:>8}  {:?}",
            parse_med.as_secs_f64() * 1e3,
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            r.findings.len(),
            r.options.len(),
            r.verdict
        );
    }
    println!();
    println!(
        "{:>8}  {:>14}  {:>14}",
        "parties", "analysis med", "options med"
    );
    for (n, a, o) in breakdown {
        println!(
            "{n:>8}  {:>12.2}ms  {:>12.2}ms",
            a.as_secs_f64() * 1e3,
            o.as_secs_f64() * 1e3
        );
    }
}
