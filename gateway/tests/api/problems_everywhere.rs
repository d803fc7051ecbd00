//! Every error the gateway sends is `application/problem+json`, also those
//! no handler of ours produces.

use crate::helpers::TestGateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_swagger_asset_is_a_404_problem() {
    let gateway = TestGateway::without_services().await;
    for path in ["/swagger/nope", "/swagger/nope.js", "/nope"] {
        gateway.get(path).await.problem(404, "ROUTE_NOT_FOUND");
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_swagger_ui_cannot_decode_is_a_400_problem() {
    let gateway = TestGateway::without_services().await;
    for path in ["/swagger/%FF", "/swagger/%FF.js"] {
        gateway.get(path).await.problem(400, "BAD_REQUEST");
    }
    gateway.stop().await;
}
