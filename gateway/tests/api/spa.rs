//! `SPA_DIR`: the built app beside the API, from one origin.

use gateway::Config;

use crate::helpers::TestGateway;

const INDEX: &str =
    "<!doctype html><title>orderflow</title><script src=\"/assets/app-abc.js\"></script>";

async fn gateway_serving_an_app() -> (TestGateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("index.html"), INDEX).expect("writing index.html");
    std::fs::create_dir(dir.path().join("assets")).expect("creating assets/");
    std::fs::write(dir.path().join("assets/app-abc.js"), "console.log('app')")
        .expect("writing the app");
    let gateway = TestGateway::with_config(Config {
        spa_dir: Some(dir.path().to_owned()),
        ..Config::local()
    })
    .await;
    (gateway, dir)
}

#[tokio::test]
async fn the_app_is_served_for_its_own_pages() {
    let (gateway, _dir) = gateway_serving_an_app().await;

    for path in ["/", "/orders/123", "/orders/123/trace"] {
        let answer = gateway.get(path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        assert_eq!(answer.text, INDEX, "{path}");
        assert!(
            answer.header("content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(answer.header("cache-control"), "no-cache", "{path}");
    }
    gateway.stop().await;
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_missing_ones_are_404() {
    let (gateway, _dir) = gateway_serving_an_app().await;

    let asset = gateway.get("/assets/app-abc.js").await;
    let missing = gateway.get("/assets/app-old.js").await;

    assert_eq!(asset.status, 200);
    assert_eq!(asset.text, "console.log('app')");
    assert_eq!(
        asset.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    missing.problem(404, "ROUTE_NOT_FOUND");
    gateway.stop().await;
}

#[tokio::test]
async fn the_api_keeps_its_paths_and_problems_beside_the_app() {
    let (gateway, _dir) = gateway_serving_an_app().await;

    gateway
        .get("/api/orders/not-a-uuid")
        .await
        .problem(400, "INVALID_ARGUMENT");
    gateway
        .get("/api/nothing-here")
        .await
        .problem(404, "ROUTE_NOT_FOUND");
    gateway.get("/metrics-not").await.expect(200);
    assert_eq!(gateway.get("/healthz").await.expect(200)["status"], "ok");
    assert!(gateway.get("/openapi.json").await.expect(200)["paths"].is_object());
    assert_eq!(gateway.get("/swagger/").await.status, 200);
    gateway.stop().await;
}

#[tokio::test]
async fn without_an_app_the_root_still_leads_to_swagger() {
    let gateway = TestGateway::without_services().await;

    let answer = gateway
        .send(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client")
                .get(gateway.url("/")),
        )
        .await;

    assert_eq!(answer.status, 307);
    assert_eq!(answer.header("location"), "/swagger/");
    gateway.stop().await;
}
