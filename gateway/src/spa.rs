//! The built single-page app, served from `SPA_DIR` beside the API: its
//! files as they are, `index.html` for every other page path (the app
//! routes in the browser), and hashed `assets/*` cached for a year. The
//! API's own paths keep their problem answers.

use std::{convert::Infallible, path::Path};

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tower::{Service, ServiceExt, service_fn};
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

/// Where Vite puts files whose names carry their content hash.
const ASSETS: &str = "/assets/";
/// A hashed file never changes under its name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `index.html` names the current assets: always revalidate it.
const REVALIDATE: &str = "no-cache";

/// Paths the API owns: never answered with the app.
const RESERVED_PREFIXES: &[&str] = &["/api/", "/swagger"];
const RESERVED: &[&str] = &["/api", "/healthz", "/readyz", "/metrics", "/openapi.json"];

/// The router's fallback when `SPA_DIR` is set.
pub(crate) fn service(
    dir: &Path,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
    let assets = ServeDir::new(dir);
    let pages = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    service_fn(move |request: Request| {
        let (assets, pages) = (assets.clone(), pages.clone());
        async move {
            let path = request.uri().path().to_owned();
            if is_reserved(&path) {
                return Ok(ApiError::RouteNotFound.into_response());
            }
            let asset = path.starts_with(ASSETS);
            // A missing asset is a 404, not the app's HTML under a JS name.
            let mut response = if asset {
                assets.oneshot(request).await
            } else {
                pages.oneshot(request).await
            }?
            .map(Body::new);
            if response.status() == StatusCode::OK {
                let cache = if asset { IMMUTABLE } else { REVALIDATE };
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            }
            Ok(response)
        }
    })
}

fn is_reserved(path: &str) -> bool {
    RESERVED.contains(&path)
        || RESERVED_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apis_paths_are_never_the_app() {
        for path in [
            "/api/orders/x",
            "/api",
            "/swagger/",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(is_reserved(path), "{path}");
        }
        for path in ["/", "/orders/123", "/assets/app.js", "/apiary"] {
            assert!(!is_reserved(path), "{path}");
        }
    }
}
