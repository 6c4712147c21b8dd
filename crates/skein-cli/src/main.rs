//! The `skein` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod flow_cmd;

// The interpreter allocates a frame per call; mimalloc makes that markedly cheaper.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    },
    // Its help is the doc comment of FlowArgs (a doc comment here would replace it).
    Flow(flow_cmd::FlowArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file } => run(&file),
        Command::Flow(args) => flow_cmd::run(args),
    }
}

fn run(file: &PathBuf) -> ExitCode {
    let mut engine = skein::Engine::new();
    match engine.load_file(file) {
        Ok(_) => ExitCode::SUCCESS,
        Err(skein::Error::Exit(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprint!("{}", e.report());
            ExitCode::FAILURE
        }
    }
}
