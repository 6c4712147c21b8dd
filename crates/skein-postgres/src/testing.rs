//! A private PostgreSQL cluster on loopback, for tests (cargo feature
//! `test-cluster`): nothing outside the test touches it, and it needs no
//! server installed as a service, only PostgreSQL's programs.
//!
//! [`shared`] starts one cluster per test binary, the first time a test asks;
//! each test takes a database of its own ([`Cluster::create_database`]), so
//! tests run in parallel on it. Starting one costs about half a second.
//!
//! - **Programs.** `initdb` and `pg_ctl` are looked for on `PATH`, then in
//!   `/usr/lib/postgresql/*/bin` (where Debian's `postgresql` package puts
//!   them), the highest version first. Without them a test fails, saying to
//!   install PostgreSQL: it never passes without having run.
//! - **Root.** `initdb` and `postgres` refuse to run as root. A test process
//!   running as root (CI, containers) runs them as `nobody` through
//!   `runuser` (util-linux), in a temporary directory it hands to `nobody`.
//! - **Speed over safety.** The cluster runs with `fsync` off (`-F`) and
//!   `initdb --no-sync`: a test's data need not survive a power cut. The
//!   store's own settings (`synchronous_commit`) are PostgreSQL's defaults.
//! - **Cleanup.** A cluster in a `static` is never dropped, so each cluster
//!   has a watchdog: a small shell process that, once the test process is
//!   gone (exited, panicked or killed), stops the server (`SIGQUIT`,
//!   immediate shutdown) and removes its directory. A [`Cluster`] that is
//!   dropped stops at once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A PostgreSQL cluster of its own, listening on 127.0.0.1, with one
/// superuser, `skein`, trusted without a password.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The user the PostgreSQL programs run as, when this process is root.
    run_as: Option<&'static str>,
    databases: AtomicU64,
}

/// Why a cluster could not be started.
#[derive(Debug)]
pub struct ClusterError(String);

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClusterError {}

fn fail(message: impl Into<String>) -> ClusterError {
    ClusterError(message.into())
}

/// The cluster of this test binary, started by the first caller.
///
/// # Panics
/// If no cluster can be started (PostgreSQL is not installed, ...): every
/// test that asks fails with the reason.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match SHARED.get_or_init(|| Cluster::start().map_err(|e| e.to_string())) {
        Ok(cluster) => cluster,
        Err(reason) => panic!("{reason}"),
    }
}

/// The user PostgreSQL's programs run as when the tests run as root.
const UNPRIVILEGED: &str = "nobody";

impl Cluster {
    /// Create a cluster in a new temporary directory and start it on a free
    /// port of 127.0.0.1.
    pub fn start() -> Result<Cluster, ClusterError> {
        Cluster::start_with(false)
    }

    /// A cluster that syncs its commits to disk (`fsync` on), in a
    /// directory under `parent`: for benchmarks of durable throughput.
    pub fn start_durable(parent: &Path) -> Result<Cluster, ClusterError> {
        Cluster::start_in(Some(parent), true)
    }

    fn start_with(durable: bool) -> Result<Cluster, ClusterError> {
        Cluster::start_in(None, durable)
    }

    fn start_in(parent: Option<&Path>, durable: bool) -> Result<Cluster, ClusterError> {
        let bin = binaries()?;
        let run_as = is_root()?.then_some(UNPRIVILEGED);
        let mut builder = tempfile::Builder::new();
        builder.prefix("skein-pg-");
        let dir = match parent {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        }
        .map_err(|e| fail(format!("cannot create a directory for the cluster: {e}")))?;
        if let Some(user) = run_as {
            let (uid, gid) = (id(&["-u", user])?, id(&["-g", user])?);
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(|e| {
                fail(format!(
                    "cannot hand the cluster's directory to {user}: {e}"
                ))
            })?;
        }
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            run_as,
            databases: AtomicU64::new(0),
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "skein".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        watchdog(cluster.dir.path())?;
        // A free port can be taken by another process before the server
        // binds it: try another.
        let log = cluster.dir.path().join("server.log");
        for _ in 0..5 {
            let port = free_port()?;
            let options = format!(
                "{} -k '{}' -h 127.0.0.1 -p {port}",
                if durable { "" } else { "-F" },
                cluster.dir.path().display()
            );
            let _ = std::fs::remove_file(&log);
            let started = cluster.run(
                "pg_ctl",
                &[
                    "start".as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "-s".as_ref(),
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                ],
            );
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            match started {
                Ok(()) => {
                    cluster.port = port;
                    return Ok(cluster);
                }
                Err(_) if said.contains("could not bind") => continue,
                Err(e) => return Err(fail(format!("{e}\nthe server's log:\n{said}"))),
            }
        }
        Err(fail(
            "no free port on 127.0.0.1 for PostgreSQL after 5 tries",
        ))
    }

    /// The port the cluster listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` in this cluster, as user `skein`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://skein@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database in this cluster; its URL.
    ///
    /// # Panics
    /// If the cluster refuses (it was stopped, ...).
    pub fn create_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("skein_test_{n}");
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        self.url(&name)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Run PostgreSQL's `program` (as the unprivileged user, if root).
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), ClusterError> {
        let path = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        // Where `nobody` may be; the server's own output goes to its log.
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        let shown = format!("{} {}", path.display(), show(args));
        let out = command
            .output()
            .map_err(|e| match (self.run_as, e.kind()) {
                (Some(_), std::io::ErrorKind::NotFound) => fail(format!(
                "running as root, the tests run PostgreSQL as {UNPRIVILEGED} through `runuser` \
                 (util-linux), which cannot be run: {e}"
            )),
                _ => fail(format!("cannot run {shown}: {e}")),
            })?;
        if !out.status.success() {
            return Err(fail(format!(
                "{shown} failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data();
            let _ = self.run(
                "pg_ctl",
                &[
                    "stop".as_ref(),
                    "-m".as_ref(),
                    "immediate".as_ref(),
                    "-w".as_ref(),
                    "-s".as_ref(),
                    "-D".as_ref(),
                    data.as_os_str(),
                ],
            );
        }
        // Then the directory goes with `self.dir`, and the watchdog ends.
    }
}

fn show(args: &[&std::ffi::OsStr]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The directory holding `initdb` and `pg_ctl`.
fn binaries() -> Result<PathBuf, ClusterError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_binaries(&path, Path::new("/usr/lib/postgresql"))
}

/// [`binaries`], looking on `path` (as `PATH` is), then in `debian`'s
/// version directories.
fn find_binaries(path: &std::ffi::OsStr, debian: &Path) -> Result<PathBuf, ClusterError> {
    let both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    for dir in std::env::split_paths(path) {
        // A link on PATH (/usr/local/bin/initdb) leads to the real directory.
        let Ok(initdb) = std::fs::canonicalize(dir.join("initdb")) else {
            continue;
        };
        if let Some(real) = initdb.parent().filter(|d| both(d)) {
            return Ok(real.to_path_buf());
        }
    }
    // Debian's postgresql package keeps them off PATH, by major version.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(debian)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        fail(
            "PostgreSQL's initdb and pg_ctl were not found on PATH or in \
             /usr/lib/postgresql/*/bin: install PostgreSQL to run these tests \
             (Debian, Ubuntu: apt-get install postgresql; .ci/run does it)",
        )
    })
}

fn is_root() -> Result<bool, ClusterError> {
    Ok(id(&["-u"])? == 0)
}

/// A number `id(1)` prints: a user's or group's id.
fn id(args: &[&str]) -> Result<u32, ClusterError> {
    let out: Output = Command::new("id")
        .args(args)
        .output()
        .map_err(|e| fail(format!("cannot run id: {e}")))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            fail(format!(
                "id {} said: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, ClusterError> {
    let socket = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| fail(format!("cannot find a free port: {e}")))?;
    socket
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| fail(format!("cannot find a free port: {e}")))
}

/// Start the process that stops the cluster in `dir` once this process is
/// gone, however it ended, and removes `dir`. In a process group of its
/// own, so an interrupt from the terminal that stops the tests leaves it
/// to clean up.
fn watchdog(dir: &Path) -> Result<(), ClusterError> {
    use std::os::unix::process::CommandExt;
    const SCRIPT: &str = r#"
while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 0.2; done
pm=$(head -n 1 "$2/data/postmaster.pid" 2>/dev/null)
if [ -n "$pm" ] && kill -QUIT "$pm" 2>/dev/null; then
    i=0
    while kill -0 "$pm" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
rm -rf "$2"
"#;
    let mut child = Command::new("sh")
        .args(["-c", SCRIPT, "skein-pg-watchdog"])
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("cannot start the cluster's watchdog: {e}")))?;
    // It outlives this process by design; should it end first (its
    // directory removed by a drop), it is reaped.
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_postgresql_the_tests_fail_saying_to_install_it() {
        let empty = tempfile::tempdir().unwrap();
        let err = find_binaries(empty.path().as_os_str(), empty.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("install PostgreSQL to run these tests"),
            "{err}"
        );
    }

    #[test]
    fn the_highest_debian_version_is_taken_when_path_has_none() {
        let root = tempfile::tempdir().unwrap();
        for version in ["9", "15", "13", "notes"] {
            let bin = root.path().join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            for program in ["initdb", "pg_ctl"] {
                std::fs::write(bin.join(program), "").unwrap();
            }
        }
        let found = find_binaries("".as_ref(), root.path()).unwrap();
        assert_eq!(found, root.path().join("15").join("bin"));
    }
}
