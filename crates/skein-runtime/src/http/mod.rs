//! The HTTP API of `skein serve`: start flows, answer, fail or cancel their
//! requests, list and show flows, dead letters, export, metrics. Values
//! travel in the `skein-store` value encoding (docs/store-format.md); every
//! refusal is `{"error": {"code", "message"}}` with a 4xx status and
//! changes nothing. `openapi.json` documents it, and a test holds the two
//! to each other through one list of routes.
//!
//! | route | does |
//! | --- | --- |
//! | `POST /flows` | start a flow: `{"flow": "order", "args": ["o-1"]}` → 201 and a step report |
//! | `GET /flows?status=&waiting=` | list flows, by status and by the tag they wait on |
//! | `GET /flows/{id}` | one flow, with its `history` |
//! | `POST /flows/{id}/answer` | `{"position": 0, "value": ...}` or `{"position": 0, "datum": "(paid 1800)"}` |
//! | `POST /flows/{id}/fail` | `{"position": 0, "message": "card declined", "timeout": false}` |
//! | `POST /flows/{id}/cancel` | cancel a suspended flow |
//! | `GET /dead-letters` | requests whose handler failed every attempt |
//! | `GET /export` | the store as a `skein-store` document |
//! | `GET /metrics` | Prometheus metrics |
//! | `GET /openapi.json` | [`OPENAPI`] |
//!
//! Built on axum: it runs on the tokio runtime the runtime's handlers
//! already use, takes tower middleware, and is well kept.

use axum::handler::Handler;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::runtime::Client;

mod error;
mod extract;
mod handlers;
mod shapes;

/// The API's OpenAPI 3.1 document, served at `GET /openapi.json`.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// The API over `client`'s runtime. Binds nothing: serve it on a listener
/// of your choosing (`skein serve` listens on loopback unless told).
pub fn router(client: Client) -> Router {
    let mut router = Router::new();
    for route in routes() {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::wrong_method)
        .with_state(client)
}

/// Serve the API on `listener` until `shutdown` completes; then stop taking
/// connections and let the requests under way finish.
///
/// ```
/// use skein_runtime::{http, Config, Program, Runtime};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let store = skein_sqlite::Store::open_or_create(dir.path().join("skein.db"))?;
/// let runtime = Runtime::start(store, Program::default(), Config::default(),
///                              tokio::runtime::Handle::current())?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(http::serve(listener, runtime.client(), async {
///     stopped.await.ok();
/// }));
/// // ... until SIGTERM:
/// stop.send(()).ok();
/// server.await??;
/// runtime.shutdown();
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    listener: tokio::net::TcpListener,
    client: Client,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(client))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The HTTP methods the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verb {
    Get,
    Post,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
}

/// One route: a method on a path (in OpenAPI's `{param}` syntax, which is
/// also axum's) and what serves it.
struct Route {
    verb: Verb,
    path: &'static str,
    handler: MethodRouter<Client>,
}

fn route<H: Handler<T, Client>, T: 'static>(verb: Verb, path: &'static str, handler: H) -> Route {
    Route {
        verb,
        path,
        handler: on(verb.filter(), handler),
    }
}

/// Every route the API serves: the router is built from this list, and a
/// test checks it against `openapi.json`.
fn routes() -> Vec<Route> {
    use handlers::*;
    use Verb::{Get, Post};
    vec![
        route(Post, "/flows", start),
        route(Get, "/flows", list),
        route(Get, "/flows/{id}", show),
        route(Post, "/flows/{id}/answer", answer),
        route(Post, "/flows/{id}/fail", fail),
        route(Post, "/flows/{id}/cancel", cancel),
        route(Get, "/dead-letters", dead_letters),
        route(Get, "/export", export),
        route(Get, "/metrics", metrics),
        route(Get, "/openapi.json", openapi),
    ]
}

/// `path` is an instance of the route path `template`.
fn matches(template: &str, path: &str) -> bool {
    let mut want = template.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with('{') && !h.is_empty() => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests;
