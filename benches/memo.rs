//! Benchmark: `tia memo` on the Stockholm example against a bare `typst compile` of the same
//! template and data (written by `tia templates` and `tia memo --data`), with the same flags
//! (fonts, PDF/A-2b and PDF/UA-1). Run with `cargo bench --bench memo` (needs typst and the
//! fonts). Prints the median and the fastest of several runs of each, and our overhead.
//! Target: overhead under 30 %.

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 9;
const MODEL: &str = "examples/stockholm-m365.yaml";

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
    let pdf = dir.path().join("stockholm.pdf");
    let bare_pdf = dir.path().join("bare.pdf");
    let tia = env!("CARGO_BIN_EXE_tia");
    ok(Command::new(tia).arg("templates").arg(&root));
    ok(Command::new(tia)
        .args(["memo", MODEL, "--as-of", "2026-11-01", "--data"])
        .arg(root.join("data.json")));

    let (tia_median, tia_min) = time(|| {
        ok(Command::new(tia)
            .args(["memo", MODEL, "--as-of", "2026-11-01", "-o"])
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
        ok(cmd.arg(root.join("memo.typ")).arg(&bare_pdf))
    });
    let overhead = tia_median.as_secs_f64() / bare_median.as_secs_f64() - 1.0;
    println!("tia memo {MODEL}:      median {tia_median:>9.1?}  fastest {tia_min:>9.1?}");
    println!("typst compile (bare):  median {bare_median:>9.1?}  fastest {bare_min:>9.1?}");
    println!("overhead: {:+.1} % (target under 30 %)", overhead * 100.0);
}
