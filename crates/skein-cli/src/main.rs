//! The `skein` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod alloc;
mod any_store;
mod check;
mod flow_cmd;
mod flow_list;
mod limit_args;
mod refusals;
mod repl;
mod serve;
mod style;

#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

#[derive(Parser)]
#[command(
    name = "skein",
    version,
    about = "Run durable workflow scripts written in skein"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate every top-level form of FILE in order; print only what the program writes.
    Run {
        /// The .flow or .scm file to run.
        file: PathBuf,
        #[command(flatten)]
        limits: limit_args::LimitArgs,
    },
    /// Evaluate expressions interactively; load FILE first if given.
    #[command(long_about = repl::LONG_ABOUT)]
    Repl {
        /// A .flow or .scm file to load before the first prompt.
        file: Option<PathBuf>,
    },
    /// Report syntax errors, unbound variables and wrong argument counts without running.
    #[command(long_about = check::LONG_ABOUT)]
    Check {
        /// The programs to check; each is checked with the files it loads.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// A procedure the host program registers (repeatable): NAME, or
        /// NAME/N for one that takes exactly N arguments.
        #[arg(long = "host", value_name = "NAME[/N]", value_parser = check::parse_host)]
        host: Vec<skein::HostFunction>,
    },
    // Its help is the doc comment of FlowArgs (a doc comment here would replace it).
    Flow(flow_cmd::FlowArgs),
    // Its help is the doc comment of ServeArgs.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file, limits } => run(&file, &limits),
        Command::Repl { file } => repl::run(file.as_deref()),
        Command::Check { files, host } => check::run(&files, &host),
        Command::Flow(args) => flow_cmd::run(args),
        Command::Serve(args) => serve::run(args),
    }
}

/// The directory a script may `load` from: its own directory tree.
fn script_root(file: &std::path::Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn run(file: &PathBuf, limits: &limit_args::LimitArgs) -> ExitCode {
    let mut engine = skein::Engine::new();
    engine.set_limits(limits.limits());
    // docs/security.md: `skein run` grants the clock, the environment, exit
    // and `load` under the script's directory, outside flows only.
    engine.set_capabilities(skein::Capabilities::all_under(script_root(file)));
    match engine.load_file(file) {
        Ok(_) => ExitCode::SUCCESS,
        Err(skein::Error::Exit(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprint!("{}", e.report());
            ExitCode::FAILURE
        }
    }
}
