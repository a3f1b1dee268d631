//! Benchmark: whole-process start-up. `tia assess examples/stockholm-m365.yaml --format json`
//! against `tia --version` (the cost of starting a process that does nothing), and the same
//! for `tia knowledge check`. Run with `cargo bench --bench startup`; prints medians of
//! interleaved runs and the ratios. Target: assess at most 2.5 × `--version`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 41;

fn run(args: &[&str]) -> Duration {
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    let d = t.elapsed();
    assert!(
        status.success() || args[0] == "assess",
        "{args:?}: {status}"
    );
    d
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let commands: [&[&str]; 3] = [
        &["--version"],
        &["assess", "examples/stockholm-m365.yaml", "--format", "json"],
        &["knowledge", "check"],
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); commands.len()];
    for c in commands {
        run(c); // warm the file cache
    }
    // Interleaved, so that a busy moment of the machine falls on all alike.
    for _ in 0..RUNS {
        for (i, c) in commands.iter().enumerate() {
            times[i].push(run(c));
        }
    }
    let base = median(times[0].clone());
    for (c, t) in commands.iter().zip(times) {
        let m = median(t);
        println!(
            "tia {:<55} median {:>8.2?}  {:>5.2}× --version",
            c.join(" "),
            m,
            m.as_secs_f64() / base.as_secs_f64()
        );
    }
    println!("target: assess at most 2.5 × --version");
}
