//! `/metrics` on all three services after orders went through the real
//! gateway, services and broker: each order is counted once where it
//! happened, and nothing is left in either outbox.

use std::time::Duration;

use orderflow_system_tests::prometheus::Scrape;

use crate::stack::TracedStack;

/// How long counters and the sampled backlog may take to catch up.
const METRICS_DEADLINE: Duration = Duration::from_secs(30);

/// `sum` of `name` with `labels` is `expected`, or what it was instead.
fn expect(
    scrape: &Scrape,
    name: &str,
    labels: &[(&str, &str)],
    expected: f64,
) -> Result<(), String> {
    let seen = scrape.sum(name, labels);
    if scrape.has(name, labels) && seen == expected {
        Ok(())
    } else {
        Err(format!("{name}{labels:?} is {seen}, not {expected}"))
    }
}

#[tokio::test]
async fn metrics_count_every_order_once_and_both_outboxes_drain() {
    let stack = TracedStack::start().await;
    // Two orders are paid; the third finds too little money and is cancelled.
    let user = stack.user_with(250).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let placed = stack.place_order(&user, 100, &[]).await;
        ids.push(placed.body["id"].as_str().expect("an order id").to_owned());
    }
    for id in &ids {
        stack.settled(id).await;
    }
    let orders = 3.0;
    let requested = stack.payment_requested_topic.clone();
    let results = stack.payment_result_topic.clone();

    orderflow_system_tests::eventually("orders' metrics", METRICS_DEADLINE, || async {
        let scrape = stack.scrape(&stack.orders_metrics).await?;
        expect(&scrape, "orders_created_total", &[], orders)?;
        expect(
            &scrape,
            "orders_settled_total",
            &[("status", "FINISHED")],
            2.0,
        )?;
        expect(
            &scrape,
            "orders_settled_total",
            &[("status", "CANCELLED")],
            1.0,
        )?;
        expect(&scrape, "orders_settle_duration_seconds_count", &[], orders)?;
        expect(&scrape, "outbox_backlog", &[], 0.0)?;
        expect(&scrape, "outbox_oldest_age_seconds", &[], 0.0)?;
        expect(
            &scrape,
            "outbox_publish_latency_seconds_count",
            &[("topic", &requested)],
            orders,
        )?;
        expect(
            &scrape,
            "messaging_consumed_total",
            &[("topic", &results)],
            orders,
        )?;
        // Every record of the results topic consumed: no lag on it.
        expect(
            &scrape,
            "messaging_consumer_lag",
            &[("topic", &results)],
            0.0,
        )?;
        expect(
            &scrape,
            "rpc_server_call_duration_seconds_count",
            &[
                ("rpc_service", "orders.v1.OrdersService"),
                ("rpc_method", "CreateOrder"),
                ("rpc_grpc_status_code", "0"),
            ],
            orders,
        )
    })
    .await;

    orderflow_system_tests::eventually("payments' metrics", METRICS_DEADLINE, || async {
        let scrape = stack.scrape(&stack.payments_metrics).await?;
        expect(&scrape, "outbox_backlog", &[], 0.0)?;
        expect(
            &scrape,
            "outbox_publish_latency_seconds_count",
            &[("topic", &results)],
            orders,
        )?;
        expect(
            &scrape,
            "messaging_consumed_total",
            &[("topic", &requested)],
            orders,
        )?;
        expect(
            &scrape,
            "messaging_consumer_lag",
            &[("topic", &requested)],
            0.0,
        )?;
        // Nothing was redelivered (a counter never added to is not exported).
        let duplicates = scrape.sum("messaging_duplicates_total", &[]);
        if duplicates != 0.0 {
            return Err(format!("{duplicates} duplicates counted"));
        }
        expect(
            &scrape,
            "rpc_server_call_duration_seconds_count",
            &[
                ("rpc_service", "payments.v1.PaymentsService"),
                ("rpc_method", "TopUp"),
                ("rpc_grpc_status_code", "0"),
            ],
            1.0,
        )
    })
    .await;

    orderflow_system_tests::eventually("the gateway's metrics", METRICS_DEADLINE, || async {
        let scrape = stack.scrape(&stack.gateway).await?;
        expect(
            &scrape,
            "http_server_request_duration_seconds_count",
            &[
                ("http_request_method", "POST"),
                ("http_route", "/api/orders"),
                ("http_response_status_code", "202"),
            ],
            orders,
        )?;
        let reads = scrape.sum(
            "http_server_request_duration_seconds_count",
            &[
                ("http_route", "/api/orders/{id}"),
                ("http_request_method", "GET"),
            ],
        );
        if reads < orders {
            return Err(format!("{reads} reads of an order, fewer than {orders}"));
        }
        Ok(())
    })
    .await;
}
