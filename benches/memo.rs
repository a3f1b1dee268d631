//! Benchmark: each document `tia` renders — the decision memo, the prior-consultation pack, the
//! change report and the comparison — against a bare `typst compile` of the same template and
//! data (written by `tia templates` and `--data`), with the same flags (fonts, PDF/A-2b and
//! PDF/UA-1). Run with `cargo bench --bench memo` (needs typst and the fonts). Prints the
//! median and the fastest of several runs of each and the ratio tia / bare typst.
//! Target: every ratio at most 1.3.

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 9;

fn time(mut run: impl FnMut()) -> (Duration, Duration) {
    run(); // warm the file cache
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[RUNS / 2], times[0])
}

fn ok(cmd: &mut Command) {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main() {
    let typst = tia::typst::Typst::locate().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let tia = env!("CARGO_BIN_EXE_tia");
    ok(Command::new(tia).arg("templates").arg(&root));
    let procurement: Vec<String> = std::fs::read_dir("examples/procurement")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    let stockholm = "examples/stockholm-m365.yaml";
    let kinds: Vec<(&str, Vec<String>)> = vec![
        ("memo", vec!["memo".into(), stockholm.into()]),
        ("consult", vec!["consult".into(), stockholm.into()]),
        (
            "diff",
            vec![
                "diff".into(),
                "examples/lasia-2024.yaml".into(),
                "examples/lasia-2026.yaml".into(),
                "--notice-date".into(),
                "2025-11-16".into(),
            ],
        ),
        (
            "compare",
            std::iter::once("compare".to_string())
                .chain(procurement)
                .collect(),
        ),
    ];
    println!(
        "{:<8} {:>22} {:>22} {:>7}",
        "document", "tia (median / fastest)", "typst (median / fastest)", "ratio"
    );
    for (kind, args) in kinds {
        let data = root.join("data.json");
        let pdf = dir.path().join(format!("{kind}.pdf"));
        let bare_pdf = dir.path().join(format!("{kind}-bare.pdf"));
        ok(Command::new(tia)
            .args(&args)
            .args(["--as-of", "2026-11-01", "--data"])
            .arg(&data)
            .args(["-o"])
            .arg(dir.path().join("warm.pdf")));
        let (tia_median, tia_min) = time(|| {
            ok(Command::new(tia)
                .args(&args)
                .args(["--as-of", "2026-11-01", "-o"])
                .arg(&pdf))
        });
        let (bare_median, bare_min) = time(|| {
            let mut cmd = Command::new(&typst.bin);
            cmd.arg("compile")
                .arg("--root")
                .arg(&root)
                .arg("--ignore-system-fonts");
            if let Some(f) = &typst.fonts {
                cmd.arg("--font-path").arg(f);
            }
            for s in tia::typst::PDF_STANDARDS {
                cmd.args(["--pdf-standard", s]);
            }
            ok(cmd.arg(root.join(format!("{kind}.typ"))).arg(&bare_pdf))
        });
        println!(
            "{kind:<8} {:>10.1?} / {:>9.1?} {:>11.1?} / {:>9.1?} {:>6.2}×",
            tia_median,
            tia_min,
            bare_median,
            bare_min,
            tia_median.as_secs_f64() / bare_median.as_secs_f64()
        );
    }
    println!("target: every ratio at most 1.30");
}
