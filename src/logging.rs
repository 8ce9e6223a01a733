//! Log filtering shared by the CLI (stderr) and the dashboard (a file): `SGKEYS_LOG` or a
//! default level, with the HTTP stack's own chatter kept quiet.

/// The `SGKEYS_LOG` filter (or `default`), with the HTTP stack's own targets pinned quiet: at
/// trace level hyper, h2 and rustls would log connection details and headers, and headers carry
/// the API key. Our own `api call` lines say method, path, status and time, never a header.
pub fn filter(default: &str) -> tracing_subscriber::EnvFilter {
    let base = std::env::var("SGKEYS_LOG").unwrap_or_else(|_| default.to_owned());
    let quiet = [
        "hyper=off",
        "hyper_util=off",
        "h2=off",
        "rustls=off",
        "reqwest=warn",
        "axum=warn",
        "tower=off",
    ];
    let spec = format!("{base},{}", quiet.join(","));
    tracing_subscriber::EnvFilter::try_new(&spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
}
