//! R7RS conformance suite: runs every `tests/conformance/*.scm` through `skein run` and
//! compares its stdout byte for byte with the `.out` file beside it.
//!
//! `tests/conformance/known-failures.txt` names fixtures that may fail for now (one per
//! line, `#` starts a comment). The test fails on any other failing fixture, and also on an
//! allowance that no longer fires (a listed fixture that passes, or a name that matches no
//! fixture), so the list can only shrink towards empty.
//!
//! Environment knobs for local use:
//! - `SKEIN_CONFORMANCE_FILTER=text`: run only fixtures whose name contains `text`.
//! - `SKEIN_CONFORMANCE_TIMEOUT=secs`: per-fixture timeout (default 60).
//! - `SKEIN_CONFORMANCE_JOBS=n`: fixtures run in parallel (default: available cores).

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Output kept per stream; a runaway fixture is still drained, just not stored.
const CAPTURE_LIMIT: usize = 1 << 20;
const STDERR_SHOWN_LINES: usize = 30;

#[test]
fn conformance() {
    let root = repo_root();
    let dir = root.join("tests").join("conformance");
    let fixtures = list_fixtures(&dir);
    let filter = std::env::var("SKEIN_CONFORMANCE_FILTER").ok();
    let selected: Vec<&String> = fixtures
        .iter()
        .filter(|name| filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    assert!(
        !selected.is_empty(),
        "no conformance fixtures selected in {}",
        dir.display()
    );

    let allowed = read_known_failures(&dir.join("known-failures.txt"));
    let timeout = Duration::from_secs(
        env_number("SKEIN_CONFORMANCE_TIMEOUT").unwrap_or(DEFAULT_TIMEOUT_SECS),
    );
    let jobs = env_number("SKEIN_CONFORMANCE_JOBS")
        .map(|n| n as usize)
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);

    let outcomes = run_all(&root, &dir, &selected, timeout, jobs);

    let mut passed = 0;
    let mut known = 0;
    let mut problems = Vec::new();
    for (name, outcome) in &outcomes {
        let is_allowed = allowed.contains(name.as_str());
        match (outcome, is_allowed) {
            (Outcome::Pass, false) => passed += 1,
            (Outcome::Pass, true) => problems.push(format!(
                "{name}: passes but is listed in known-failures.txt; remove it from the list"
            )),
            (Outcome::Fail(_), true) => known += 1,
            (Outcome::Fail(report), false) => problems.push(format!("{name}: {report}")),
        }
    }
    if filter.is_none() {
        let all: BTreeSet<&str> = fixtures.iter().map(String::as_str).collect();
        for name in &allowed {
            if !all.contains(name.as_str()) {
                problems.push(format!(
                    "{name}: listed in known-failures.txt but no such fixture exists; remove it from the list"
                ));
            }
        }
    }

    let mut summary = format!("conformance: {passed} passed, {known} known failures");
    if !problems.is_empty() {
        let plural = if problems.len() == 1 { "" } else { "s" };
        summary.push_str(&format!(", {} problem{plural}", problems.len()));
    }
    // Written straight to stderr so the summary shows even when libtest captures output.
    let _ = writeln!(std::io::stderr(), "{summary}");

    if !problems.is_empty() {
        panic!("{summary}\n\n{}", problems.join("\n\n"));
    }
}

enum Outcome {
    Pass,
    Fail(String),
}

struct Run {
    status: Option<ExitStatus>,
    timed_out: bool,
    elapsed: Duration,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .expect("crates/skein-cli sits two levels below the repository root")
        .to_path_buf()
}

/// Fixture names (file stems), sorted; every `.scm` must have an `.out` and vice versa.
fn list_fixtures(dir: &Path) -> Vec<String> {
    let mut scm = BTreeSet::new();
    let mut out = BTreeSet::new();
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
            continue;
        };
        let stem = stem.to_string_lossy().into_owned();
        match ext.to_str() {
            Some("scm") => {
                scm.insert(stem);
            }
            Some("out") => {
                out.insert(stem);
            }
            _ => {}
        }
    }
    let missing_out: Vec<_> = scm.difference(&out).collect();
    let missing_scm: Vec<_> = out.difference(&scm).collect();
    assert!(
        missing_out.is_empty() && missing_scm.is_empty(),
        "every fixture needs both files: .scm without .out: {missing_out:?}; .out without .scm: {missing_scm:?}"
    );
    scm.into_iter().collect()
}

fn read_known_failures(path: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|name| !name.is_empty())
        .map(|name| name.strip_suffix(".scm").unwrap_or(name).to_string())
        .collect()
}

fn env_number(var: &str) -> Option<u64> {
    let value = std::env::var(var).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{var} must be a whole number, got {value:?}")),
    )
}

/// Runs the fixtures on `jobs` threads; results come back in fixture order.
fn run_all(
    root: &Path,
    dir: &Path,
    names: &[&String],
    timeout: Duration,
    jobs: usize,
) -> Vec<(String, Outcome)> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(names.iter().map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..jobs.min(names.len()) {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap();
                    let index = *next;
                    *next += 1;
                    index
                };
                let Some(name) = names.get(index) else { break };
                let outcome = check_fixture(root, dir, name, timeout);
                results.lock().unwrap()[index] = Some(outcome);
            });
        }
    });
    names
        .iter()
        .zip(results.into_inner().unwrap())
        .map(|(name, outcome)| (name.to_string(), outcome.expect("every fixture ran")))
        .collect()
}

fn check_fixture(root: &Path, dir: &Path, name: &str, timeout: Duration) -> Outcome {
    let expected_path = dir.join(format!("{name}.out"));
    let expected = fs::read(&expected_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", expected_path.display()));
    let relative = Path::new("tests")
        .join("conformance")
        .join(format!("{name}.scm"));
    let run = match run_skein(root, &relative, timeout) {
        Ok(run) => run,
        Err(e) => return Outcome::Fail(format!("could not start skein: {e}")),
    };

    let mut report = String::new();
    if run.timed_out {
        report.push_str(&format!(
            "timed out after {:.0?} and was killed\n",
            run.elapsed
        ));
    } else if let Some(status) = run.status.filter(|s| !s.success()) {
        report.push_str(&format!("exited with {status}\n"));
    }
    if run.stdout != expected {
        report.push_str(&describe_difference(&expected, &run.stdout));
    }
    if report.is_empty() {
        return Outcome::Pass;
    }
    if !run.stderr.is_empty() {
        report.push_str("  stderr:\n");
        let stderr = String::from_utf8_lossy(&run.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        for line in lines.iter().take(STDERR_SHOWN_LINES) {
            report.push_str(&format!("    {line}\n"));
        }
        if lines.len() > STDERR_SHOWN_LINES {
            report.push_str(&format!(
                "    ... ({} more lines)\n",
                lines.len() - STDERR_SHOWN_LINES
            ));
        }
    }
    Outcome::Fail(report.trim_end().to_string())
}

/// `skein run FILE` from the repository root, killed if it outlives `timeout`.
fn run_skein(root: &Path, file: &Path, timeout: Duration) -> std::io::Result<Run> {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_skein"))
        .arg("run")
        .arg(file)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (status, timed_out) = wait_with_timeout(&mut child, timeout)?;
    let elapsed = start.elapsed();
    Ok(Run {
        status,
        timed_out,
        elapsed,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    })
}

/// Reads a pipe to the end on its own thread so a chatty child never blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = CAPTURE_LIMIT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        kept
    })
}

fn wait_with_timeout(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<(Option<ExitStatus>, bool)> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((Some(status), false));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let status = child.wait().ok();
            return Ok((status, true));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The first line where actual output departs from the expected output, both shown quoted
/// so trailing spaces and missing newlines are visible.
fn describe_difference(expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let exp_lines: Vec<&str> = expected.split_inclusive('\n').collect();
    let act_lines: Vec<&str> = actual.split_inclusive('\n').collect();
    let index = exp_lines
        .iter()
        .zip(&act_lines)
        .position(|(e, a)| e != a)
        .unwrap_or(exp_lines.len().min(act_lines.len()));
    let show = |line: Option<&&str>| match line {
        Some(text) => format!("{text:?}"),
        None => "<end of output>".to_string(),
    };
    let mut text = format!(
        "stdout differs at line {} (expected {} lines, got {})\n  expected: {}\n  actual:   {}\n",
        index + 1,
        exp_lines.len(),
        act_lines.len(),
        show(exp_lines.get(index)),
        show(act_lines.get(index)),
    );
    if index > 0 {
        text.push_str(&format!(
            "  last matching line: {:?}\n",
            exp_lines[index - 1]
        ));
    }
    text
}
