//! The SPA's API client is generated from a snapshot of the OpenAPI document
//! (`frontend/openapi.json`). This spec fails when the document the gateway
//! serves drifts from that snapshot, so the client is never silently stale.
//!
//! Refresh the snapshot (then regenerate the client) with:
//!
//! ```sh
//! UPDATE_OPENAPI_SNAPSHOT=1 cargo xtask test -E 'test(served_openapi_document_matches)'
//! cd frontend && npm run gen:api
//! ```

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::TestGateway;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend/openapi.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_matches_the_spa_snapshot() {
    let gateway = TestGateway::without_services().await;
    let answer = gateway.get("/openapi.json").await;
    let served: Value = answer.expect(200).clone();
    let path = snapshot_path();

    if std::env::var("UPDATE_OPENAPI_SNAPSHOT").is_ok_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&served).expect("a JSON document");
        text.push('\n');
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }

    let snapshot = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the SPA's snapshot {}: {e}", path.display()));
    let snapshot: Value = serde_json::from_str(&snapshot)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert!(
        served == snapshot,
        "the OpenAPI document the gateway serves differs from the SPA's snapshot {}.\n\
         Refresh it and regenerate the typed client, then review and commit both:\n  \
         UPDATE_OPENAPI_SNAPSHOT=1 cargo xtask test -E 'test(served_openapi_document_matches)'\n  \
         cd frontend && npm run gen:api && npm run typecheck",
        path.display()
    );
}
