//! The HTTP API of `skein serve`: start flows, answer, fail or cancel their
//! requests, list and show flows, dead letters, export, metrics. Values
//! travel in the `skein-store` value encoding (docs/store-format.md); every
//! refusal is `{"error": {"code", "message"}}` with a 4xx status and
//! changes nothing. `openapi.json` documents it, and a test holds the two
//! to each other through [`routes`].
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
