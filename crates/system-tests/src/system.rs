//! Both services in-process, each with a fresh database, on unique topics.

use std::{net::SocketAddr, time::Duration};

use orderflow_devstack::TestEnv;
use orderflow_host::config::DatabaseUrl;
use orderflow_proto::{
    events::v1 as events,
    orders::v1::{
        CreateOrderRequest, GetOrderRequest, Order, OrderStatus,
        orders_service_client::OrdersServiceClient,
    },
    payments::v1::{
        CreateAccountRequest, GetBalanceRequest, TopUpRequest,
        payments_service_client::PaymentsServiceClient,
    },
};
use orderflow_runtime::crash::CrashPoints;
use prost::Message;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::{
    kafka::{contract_headers, produce},
    services::{
        Running, channel, fresh_database, fresh_orders_config, health_status, payments_config_on,
        start_orders, start_payments,
    },
    wait::until,
};

/// How a test wants the system set up.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Another broker than the shared one (e.g. one the test stops).
    pub brokers: Option<String>,
    /// Crash points armed in payments.
    pub payments_crash_points: CrashPoints,
    /// Another `fetch.wait.max.ms` for both services' consumers.
    pub fetch_wait: Option<Duration>,
    /// Another PostgreSQL cluster than the shared one (a superuser URL, e.g.
    /// of a private cluster the test stops): both databases are made there.
    pub database_cluster: Option<String>,
    /// Another fallback poll interval for both services' relays
    /// (`OUTBOX_POLL_INTERVAL_MS`).
    pub poll_interval: Option<Duration>,
}

/// The orders and payments services, running.
pub struct TestSystem {
    pub orders_addr: SocketAddr,
    pub payments_addr: SocketAddr,
    /// Where payments answers `GET /metrics`.
    pub payments_metrics_addr: SocketAddr,
    pub orders: OrdersServiceClient<Channel>,
    pub payments: PaymentsServiceClient<Channel>,
    /// Direct access to each service's database, for assertions.
    pub orders_db: DatabaseConnection,
    pub payments_db: DatabaseConnection,
    pub brokers: String,
    pub requested_topic: String,
    pub result_topic: String,
    payments_config: payments::Config,
    orders_app: Option<Running>,
    payments_app: Option<Running>,
}

impl TestSystem {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let env = TestEnv::from_env();
        let brokers = options
            .brokers
            .unwrap_or_else(|| env.kafka_brokers().to_owned());
        let cluster = options.database_cluster.as_deref();
        let mut orders_config = fresh_orders_config(&env, &brokers).await;
        if let Some(cluster) = cluster {
            orders_config.host.database_url =
                DatabaseUrl::new(fresh_database(&env, Some(cluster), "orders").await);
        }
        if let Some(fetch_wait) = options.fetch_wait {
            orders_config.messaging.fetch_wait = fetch_wait;
        }
        if let Some(poll_interval) = options.poll_interval {
            orders_config.messaging.poll_interval = poll_interval;
        }
        let payments_url = fresh_database(&env, cluster, "payments").await;
        // Same topics and settings, its own database and group.
        let payments_config = payments::Config {
            crash_points: options.payments_crash_points,
            ..payments_config_on(payments_url.clone(), &orders_config)
        };
        let orders_url = orders_config.host.database_url.expose().to_owned();
        let requested_topic = orders_config.topics.payment_requested.clone();
        let result_topic = orders_config.topics.payment_results.clone();
        let orders_app = start_orders(orders_config).await;
        let payments_app = start_payments(payments_config.clone()).await;
        let system = Self {
            orders_addr: orders_app.addr,
            payments_addr: payments_app.addr,
            payments_metrics_addr: payments_app.metrics_addr,
            orders: OrdersServiceClient::new(channel(orders_app.addr)),
            payments: PaymentsServiceClient::new(channel(payments_app.addr)),
            orders_db: Database::connect(&orders_url)
                .await
                .expect("orders database"),
            payments_db: Database::connect(&payments_url)
                .await
                .expect("payments database"),
            brokers,
            requested_topic,
            result_topic,
            payments_config,
            orders_app: Some(orders_app),
            payments_app: Some(payments_app),
        };
        system.wait_until_serving(system.orders_addr).await;
        system.wait_until_serving(system.payments_addr).await;
        system
    }

    /// Stops payments (as a crash would, offsets of unfinished work not
    /// committed) and starts it again on the same database and group.
    pub async fn restart_payments(&mut self, crash_points: CrashPoints) {
        self.pause_payments().await;
        self.payments_config.crash_points = crash_points;
        self.resume_payments().await;
    }

    /// Stops payments gracefully: orders placed meanwhile stay `NEW` until
    /// [`TestSystem::resume_payments`].
    pub async fn pause_payments(&mut self) {
        if let Some(running) = self.payments_app.take() {
            running.stop().await;
        }
    }

    /// Starts payments again on the same database and group; it then pays
    /// what was requested while it was stopped.
    pub async fn resume_payments(&mut self) {
        let running = start_payments(self.payments_config.clone()).await;
        self.payments_addr = running.addr;
        self.payments_metrics_addr = running.metrics_addr;
        self.payments = PaymentsServiceClient::new(channel(running.addr));
        self.payments_app = Some(running);
        self.wait_until_serving(self.payments_addr).await;
    }

    /// Stops both services gracefully; panics if either failed.
    pub async fn stop(mut self) {
        if let Some(running) = self.orders_app.take() {
            running.stop().await;
        }
        if let Some(running) = self.payments_app.take() {
            running.stop().await;
        }
    }

    /// Payments' metrics as `GET /metrics` shows them now.
    pub async fn payments_metrics(&self) -> Result<crate::prometheus::Scrape, String> {
        crate::prometheus::Scrape::fetch(&format!("http://{}/metrics", self.payments_metrics_addr))
            .await
    }

    /// The offsets payments' consumer group has committed on the request
    /// topic, summed over its partitions (see [`crate::committed_total`]).
    pub async fn payments_committed(&self) -> Option<i64> {
        crate::committed_total(
            &self.brokers,
            &self.payments_config.consumer_group,
            &self.requested_topic,
            self.payments_config.messaging.partitions,
        )
        .await
    }

    /// The overall health status of orders and of payments.
    pub async fn health(&self) -> [Result<ServingStatus, String>; 2] {
        [
            health_status(self.orders_addr).await,
            health_status(self.payments_addr).await,
        ]
    }

    async fn wait_until_serving(&self, addr: SocketAddr) {
        crate::wait::until_serving(addr).await;
    }

    // ----- verbs -----

    /// Opens an account for `user_id` holding `balance`.
    pub async fn open_account(&self, user_id: &str, balance: i64) {
        let mut payments = self.payments.clone();
        payments
            .create_account(CreateAccountRequest {
                user_id: user_id.into(),
                idempotency_key: String::new(),
            })
            .await
            .expect("account created");
        if balance > 0 {
            payments
                .top_up(TopUpRequest {
                    user_id: user_id.into(),
                    amount: balance,
                    idempotency_key: String::new(),
                })
                .await
                .expect("topped up");
        }
    }

    /// The balance of `user_id`'s account.
    pub async fn balance(&self, user_id: &str) -> i64 {
        self.payments
            .clone()
            .get_balance(GetBalanceRequest {
                user_id: user_id.into(),
            })
            .await
            .expect("a balance")
            .into_inner()
            .account
            .expect("an account")
            .balance
    }

    /// Places an order and returns it (status NEW).
    pub async fn place_order(&self, user_id: &str, amount: i64) -> Order {
        self.orders
            .clone()
            .create_order(CreateOrderRequest {
                user_id: user_id.into(),
                amount,
                description: format!("test order of {amount}"),
                idempotency_key: String::new(),
            })
            .await
            .expect("order created")
            .into_inner()
            .order
            .expect("an order")
    }

    /// The order as orders has it now.
    pub async fn order(&self, id: &str) -> Order {
        self.orders
            .clone()
            .get_order(GetOrderRequest { id: id.into() })
            .await
            .expect("the order")
            .into_inner()
            .order
            .expect("an order")
    }

    /// Waits until the order is FINISHED or CANCELLED and returns it.
    pub async fn wait_until_settled(&self, id: &str) -> Order {
        until(
            &format!("order {id} is settled"),
            Duration::from_secs(60),
            || self.order(id),
            |order| order.status() != OrderStatus::New,
        )
        .await
    }

    /// A number from `sql` (one row, one column `n`) on `db`.
    pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        orderflow_devstack::count(db, sql).await
    }

    /// The `PaymentRequested` that orders stored in its outbox for `order_id`.
    pub async fn published_request(&self, order_id: &str) -> events::PaymentRequested {
        let rows = self
            .orders_db
            .query_all_raw(Statement::from_string(
                self.orders_db.get_database_backend(),
                "SELECT payload FROM outbox",
            ))
            .await
            .expect("the orders outbox");
        rows.iter()
            .map(|row| {
                let payload: Vec<u8> = row.try_get("", "payload").expect("a payload");
                events::PaymentRequested::decode(payload.as_slice()).expect("a PaymentRequested")
            })
            .find(|request| request.order_id == order_id)
            .unwrap_or_else(|| panic!("no PaymentRequested for order {order_id}"))
    }

    /// Sends `request` to the request topic again, as a redelivery would.
    pub async fn redeliver(&self, request: &events::PaymentRequested) {
        produce(
            &self.brokers,
            &self.requested_topic,
            &request.user_id,
            &request.encode_to_vec(),
            &contract_headers(&request.event_id, events::PAYMENT_REQUESTED),
        )
        .await;
    }

    /// Makes payments' handler fail the same way on every try for a payment
    /// of `amount`: a trigger raises a check_violation (SQLSTATE 23514) when
    /// its payment row is inserted, inside the handler's transaction.
    pub async fn refuse_payments_of(&self, amount: i64) {
        self.payments_db
            .execute_unprepared(&format!(
                r"
CREATE FUNCTION refuse_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount = {amount} THEN
        RAISE EXCEPTION 'payments of {amount} are refused' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_payments BEFORE INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION refuse_payments();
"
            ))
            .await
            .expect("the trigger is installed");
    }
}
