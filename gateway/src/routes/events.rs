//! `GET /api/orders/{id}/events`: an order's states as Server-Sent Events,
//! over the orders service's `WatchOrder` stream.

use std::convert::Infallible;

use anyhow::Context;
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, future};
use orderflow_proto::orders::v1::{WatchOrderRequest, WatchOrderResponse};

use crate::{
    correlation,
    error::ApiError,
    extract::ApiPath,
    model::OrderView,
    problem::Problem,
    routes::orders::order_id,
    state::StreamRules,
    upstream::{Service, Upstreams},
};

/// The text of the heartbeat comments (`: heartbeat`).
pub(crate) const HEARTBEAT: &str = "heartbeat";
/// The event type of a failure after the stream started.
pub(crate) const PROBLEM_EVENT: &str = "problem";

/// The order's states as they happen: one `message` event per state, with
/// the same JSON as `GET /api/orders/{id}`, first the current one; the
/// stream closes after a final state (`FINISHED` or `CANCELLED`).
///
/// While nothing changes, a `: heartbeat` comment is sent every
/// `SSE_HEARTBEAT_MS` (15 s). A stream lasts at most `SSE_MAX_SECS` (300 s)
/// and then closes while the order may still be `NEW`: connect again to go
/// on (the first event is again the current state). A failure after the
/// stream started is one `problem` event, a problem JSON, and the end.
///
/// `curl -N http://127.0.0.1:8080/api/orders/{id}/events`
#[utoipa::path(
    get,
    path = "/api/orders/{id}/events",
    tag = "orders",
    params(("id" = String, Path, format = "uuid", description = "The order's id")),
    responses(
        (status = 200, description = "A stream of `message` events, each an Order as JSON (`data: {…}`), closed after the final state", body = OrderView, content_type = "text/event-stream"),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orders service is down", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn order_events(
    State(upstreams): State<Upstreams>,
    State(rules): State<StreamRules>,
    ApiPath(id): ApiPath,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id = order_id(&id)?;
    // The call's deadline bounds the wait for the stream to start; once it
    // has, `SSE_MAX_SECS` bounds how long it lasts.
    let request = upstreams.request(WatchOrderRequest { id: id.to_string() });
    let mut orders = upstreams.orders();
    // Answers once the first state is read: an unknown id is a 404 here.
    let states = upstreams
        .call(Service::Orders, orders.watch_order(request))
        .await?;
    let correlation_id = correlation::current().map(|id| id.as_str().to_owned());
    let lifetime = tokio::time::sleep(rules.max_lifetime);
    let stop = rules.stop.cancelled_owned();
    let events = states
        .scan(false, move |failed, message| {
            if *failed {
                return future::ready(None);
            }
            let event = match message {
                Ok(message) => order_event(message),
                Err(status) => Err(ApiError::Upstream {
                    service: Service::Orders,
                    status,
                }),
            }
            .unwrap_or_else(|error| {
                *failed = true;
                problem_event(&error, correlation_id.clone())
            });
            future::ready(Some(Ok(event)))
        })
        .take_until(future::select(Box::pin(lifetime), Box::pin(stop)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(rules.heartbeat).text(HEARTBEAT)))
}

fn order_event(message: WatchOrderResponse) -> Result<Event, ApiError> {
    let order = message.order.context("WatchOrder sent no order")?;
    let view = OrderView::try_from(order)?;
    Ok(Event::default()
        .json_data(view)
        .context("writing an order event")?)
}

/// The failure as a `problem` event; logged here, once.
fn problem_event(error: &ApiError, correlation_id: Option<String>) -> Event {
    tracing::warn!(error = %error, "an order event stream failed");
    let problem = Problem {
        correlation_id,
        ..Problem::of(error)
    };
    Event::default()
        .event(PROBLEM_EVENT)
        .json_data(problem)
        .unwrap_or_else(|_| Event::default().event(PROBLEM_EVENT))
}
