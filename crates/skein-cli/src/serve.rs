//! `skein serve`: one long-running process that drives the flows of a store
//! (the `skein-runtime` crate; this is its command line).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use skein_runtime::{Backoff, Config, Handler, Program, Runtime};
use skein_sqlite::Store;

/// Drive the flows of a store: timers, handlers with retries, an HTTP API
///
/// Loads the flow FILEs and works on every flow of the store until SIGTERM
/// or SIGINT, which it obeys by finishing the steps in hand and stopping.
/// It answers `now`, `random` and `sleep` itself (a sleep wakes at its
/// stored time, across restarts), fails requests whose deadline passed, and
/// gives each request whose tag has a --handler to that handler:
///   a command gets the request as JSON on stdin and SKEIN_FLOW_ID,
///   SKEIN_POSITION, SKEIN_ATTEMPT and SKEIN_IDEMPOTENCY_KEY in its
///   environment, and answers with a datum on stdout;
///   an http:// URL on loopback gets the same JSON as a POST.
/// A failed or timed-out attempt is retried with exponential backoff and
/// jitter; after the last, the request fails in the flow and a dead letter
/// is kept. Other requests wait for the HTTP API (or `skein flow resume`).
#[derive(Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  skein serve flows/order-lifecycle.flow --handler reserve=./reserve.sh \\
      --handler fulfil=http://127.0.0.1:9000/fulfil
  curl -s localhost:8080/flows -d '{\"flow\": \"order-lifecycle\", \"args\": [\"o-1\"]}'

See docs/serve.md."
)]
pub struct ServeArgs {
    /// The .flow files to load, in order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The store: a SQLite file (created if missing), or a postgres:// URL
    /// (several servers may share one database).
    #[arg(long, value_name = "PATH|URL", default_value = "skein.db")]
    store: String,
    /// Where the HTTP API listens (loopback unless you say otherwise; port 0
    /// picks a free one, printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Who performs the requests tagged TAG (or whose list tag starts with
    /// TAG): a command, or an http:// URL on loopback. Repeatable.
    #[arg(long = "handler", value_name = "TAG=COMMAND|URL", value_parser = parse_handler)]
    handlers: Vec<(String, Handler)>,
    /// How often a failed handler attempt is retried.
    #[arg(long, value_name = "N", default_value_t = 5)]
    retries: u32,
    /// The delay before the first retry, in seconds; each later one doubles.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = parse_seconds)]
    backoff: Duration,
    /// How long one handler attempt may take.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    handler_timeout: Duration,
    /// How many flows stay live in memory; others are rebuilt by replay.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    warm: usize,
    #[command(flatten)]
    limits: crate::limit_args::LimitArgs,
}

fn parse_handler(text: &str) -> Result<(String, Handler), String> {
    let Some((tag, spec)) = text.split_once('=') else {
        return Err(format!(
            "`{text}`: write TAG=COMMAND or TAG=http://127.0.0.1:PORT/PATH"
        ));
    };
    Ok((tag.trim().to_string(), Handler::parse(spec)?))
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds"))
}

pub fn run(args: ServeArgs) -> ExitCode {
    init_logging();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Structured logs on stderr; `RUST_LOG` chooses how much (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn serve(args: ServeArgs) -> Result<(), String> {
    // What can be checked before anything is created or bound.
    for file in &args.files {
        std::fs::metadata(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    }
    let config = Config {
        handlers: args.handlers,
        backoff: Backoff {
            retries: args.retries,
            first_delay: args.backoff,
            ..Backoff::default()
        },
        handler_timeout: args.handler_timeout,
        warm_flows: args.warm,
        limits: args.limits.limits(),
        ..Config::default()
    };
    config.check().map_err(|e| e.to_string())?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let listener = tokio
        .block_on(tokio::net::TcpListener::bind(&args.listen))
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let program = Program::new(&args.files);
    let handle = tokio.handle().clone();
    let (runtime, store_name) = if is_postgres_url(&args.store) {
        let store = skein_postgres::Store::connect(&args.store).map_err(|e| e.to_string())?;
        let name = store.url().to_string();
        (Runtime::start(store, program, config, handle), name)
    } else {
        let mut store = Store::open_or_create(&args.store).map_err(|e| e.to_string())?;
        store.set_limits(args.limits.limits());
        (
            Runtime::start(store, program, config, handle),
            args.store.clone(),
        )
    };
    let runtime = runtime.map_err(|e| e.to_string())?;
    tracing::info!(
        store = %store_name,
        "skein serve: listening on http://{address}"
    );
    let (stopping, stopped) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        stop_signal().await;
        let _ = stopping.send(());
    };
    let api = tokio.spawn(skein_runtime::http::serve(
        listener,
        runtime.client(),
        shutdown,
    ));
    // Requests under way get a little time to finish; a client that keeps
    // its connection half-sent does not keep the server from stopping.
    let served = tokio.block_on(async {
        let grace = async {
            let _ = stopped.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        let mut api = api;
        tokio::select! {
            done = &mut api => done.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = grace => {
                tracing::warn!("requests still open after {} s: closing them", SHUTDOWN_GRACE.as_secs());
                api.abort();
                Ok(())
            }
        }
    });
    tracing::info!("stopping: finishing the steps in hand");
    runtime.shutdown();
    tracing::info!("stopped");
    served.map_err(|e| format!("the HTTP API failed: {e}"))
}

/// A PostgreSQL store, rather than a SQLite file.
fn is_postgres_url(store: &str) -> bool {
    store.starts_with("postgres://") || store.starts_with("postgresql://")
}

/// How long requests under way may take to finish once a stop is asked.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers, only a kill stops the server.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
