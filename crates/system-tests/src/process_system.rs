//! [`ProcessSystem`]: replicas of orders and payments and a gateway as real
//! processes, on fresh databases and unique topics and groups, on the shared
//! PostgreSQL and Kafka or on private ones the test may hurt; with verbs for
//! faults (kill, terminate, restart; broker and database control off the
//! async threads) and the invariant check every fault test ends with.

use std::time::Duration;

use orderflow_devstack::{Broker, Controlled, Postgres, Shutdown, TestEnv, unique_name};
use orderflow_proto::payments::v1::{
    CreateAccountRequest, TopUpRequest, payments_service_client::PaymentsServiceClient,
};

use crate::{
    invariants::{Ledger, Settled, take_snapshot, violations},
    processes::{Binary, ServiceProcess},
    stream::{OrderStream, StreamOutcome, Via},
    wait::eventually,
};

/// How a test wants its processes.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Replicas of orders and of payments (each set in one consumer group).
    pub replicas: usize,
    /// Whether a gateway runs in front (on the first replicas).
    pub gateway: bool,
    /// A PostgreSQL of the test's own, which it may stop.
    pub private_postgres: bool,
    /// A Kafka of the test's own, which it may kill.
    pub private_kafka: bool,
    /// `CRASH_POINTS` of each binary at its first start.
    pub crash_points: Vec<(Binary, String)>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            replicas: 1,
            gateway: false,
            private_postgres: false,
            private_kafka: false,
            crash_points: Vec::new(),
        }
    }
}

/// The running processes and what the test did to them.
pub struct ProcessSystem {
    pub orders: Vec<ServiceProcess>,
    pub payments: Vec<ServiceProcess>,
    pub gateway: Option<ServiceProcess>,
    pub(crate) postgres: Option<Controlled<Postgres>>,
    pub(crate) broker: Option<Controlled<Broker>>,
    pub brokers: String,
    pub orders_url: String,
    pub payments_url: String,
    pub requested_topic: String,
    pub result_topic: String,
    orders_group: String,
    payments_group: String,
    ledger: Ledger,
    // Last: the logs outlive the processes writing them.
    _logs: tempfile::TempDir,
}

impl ProcessSystem {
    /// Starts everything `setup` asks for and waits until it is ready.
    pub async fn start(setup: Setup) -> Self {
        let env = TestEnv::from_env();
        let postgres = match setup.private_postgres {
            true => Some(
                Controlled::start("PostgreSQL", Postgres::start_temporary)
                    .await
                    .expect("a private PostgreSQL"),
            ),
            false => None,
        };
        let broker = match setup.private_kafka {
            true => Some(
                Controlled::start("Kafka", Broker::start_temporary)
                    .await
                    .expect("a private Kafka"),
            ),
            false => None,
        };
        let brokers = match &broker {
            Some(broker) => broker.run(|broker| broker.bootstrap_servers()).await,
            None => env.kafka_brokers().to_owned(),
        };
        let (orders_url, payments_url) = match &postgres {
            Some(postgres) => {
                let admin = postgres.run(|postgres| postgres.url()).await;
                (
                    fresh(&admin, "orders").await,
                    fresh(&admin, "payments").await,
                )
            }
            None => (
                env.fresh_database("orders").await.expect("a database"),
                env.fresh_database("payments").await.expect("a database"),
            ),
        };
        let logs = tempfile::Builder::new()
            .prefix("orderflow-processes-")
            .tempdir()
            .expect("a folder for the logs");
        let requested_topic = unique_name("payments.requested");
        let result_topic = unique_name("payments.results");
        let (orders_group, payments_group) = (unique_name("orders"), unique_name("payments"));
        let service_env = |url: &str, group: &str, binary: Binary| {
            let mut vars = vec![
                ("DATABASE_URL", url.to_owned()),
                ("DATABASE_MAX_CONNECTIONS", "5".to_owned()),
                ("METRICS_LISTEN_ADDR", "127.0.0.1:0".to_owned()),
                ("KAFKA_BROKERS", brokers.clone()),
                ("TOPIC_PARTITIONS", "2".to_owned()),
                ("KAFKA_MESSAGE_TIMEOUT_MS", "3000".to_owned()),
                ("PAYMENT_REQUESTED_TOPIC", requested_topic.clone()),
                ("PAYMENT_RESULT_TOPIC", result_topic.clone()),
                ("CONSUMER_GROUP", group.to_owned()),
            ];
            for (armed, spec) in &setup.crash_points {
                if *armed == binary {
                    vars.push(("CRASH_POINTS", spec.clone()));
                }
            }
            owned(vars)
        };
        let replicas = |binary: Binary, url: &str, group: &str| -> Vec<ServiceProcess> {
            (0..setup.replicas.max(1))
                .map(|index| {
                    let label = format!("{}-{index}", binary.name());
                    ServiceProcess::new(binary, label, service_env(url, group, binary), logs.path())
                })
                .collect()
        };
        let mut orders = replicas(Binary::Orders, &orders_url, &orders_group);
        let mut payments = replicas(Binary::Payments, &payments_url, &payments_group);
        // The first replica of each migrates its database; the others start
        // once it is ready (two migrating at once can collide).
        for first in [0, 1] {
            let wave = |index: usize| (first == 0) == (index == 0);
            for (index, service) in orders
                .iter_mut()
                .enumerate()
                .chain(payments.iter_mut().enumerate())
            {
                if wave(index) {
                    service.spawn();
                }
            }
            for (index, service) in orders
                .iter_mut()
                .enumerate()
                .chain(payments.iter_mut().enumerate())
            {
                if wave(index) {
                    service.wait_until_ready().await;
                }
            }
        }
        let gateway = if setup.gateway {
            let vars = owned(vec![
                ("ORDERS_URL", format!("http://{}", orders[0].addr)),
                ("PAYMENTS_URL", format!("http://{}", payments[0].addr)),
                ("REQUEST_TIMEOUT_MS", "3000".to_owned()),
            ]);
            let mut gateway =
                ServiceProcess::new(Binary::Gateway, "gateway".into(), vars, logs.path());
            gateway.start().await;
            Some(gateway)
        } else {
            None
        };
        Self {
            orders,
            payments,
            gateway,
            postgres,
            broker,
            brokers,
            orders_url,
            payments_url,
            requested_topic,
            result_topic,
            orders_group,
            payments_group,
            ledger: Ledger::default(),
            _logs: logs,
        }
    }

    /// Opens `count` accounts named `<prefix>-<i>`, each topped up with
    /// `balance` (none when 0), and returns their names.
    pub async fn open_accounts(&mut self, prefix: &str, count: usize, balance: i64) -> Vec<String> {
        let addr = self.payments[0].addr;
        let mut payments = PaymentsServiceClient::new(crate::services::channel(addr));
        let mut users = Vec::with_capacity(count);
        for index in 0..count {
            let user = format!("{prefix}-{index}");
            payments
                .create_account(CreateAccountRequest {
                    user_id: user.clone(),
                    idempotency_key: String::new(),
                })
                .await
                .expect("an account");
            if balance > 0 {
                payments
                    .top_up(TopUpRequest {
                        user_id: user.clone(),
                        amount: balance,
                        idempotency_key: String::new(),
                    })
                    .await
                    .expect("a top-up");
            }
            self.ledger.top_ups.insert(user.clone(), balance);
            users.push(user);
        }
        users
    }

    /// A stream of `rate` orders/s for `duration` from `users`, over gRPC to
    /// every orders replica in turn.
    pub fn stream_grpc(&self, users: &[String], rate: f64, duration: Duration) -> OrderStream {
        let addrs = self.orders.iter().map(|service| service.addr).collect();
        OrderStream::start(Via::Grpc(addrs), users.to_vec(), rate, duration)
    }

    /// The same stream through the gateway's REST API.
    pub fn stream_rest(&self, users: &[String], rate: f64, duration: Duration) -> OrderStream {
        let gateway = self.gateway.as_ref().expect("a gateway");
        OrderStream::start(Via::Rest(gateway.addr), users.to_vec(), rate, duration)
    }

    /// Waits for the stream to end and adds what it saw accepted to the ledger.
    pub async fn finish(&mut self, stream: OrderStream) -> StreamOutcome {
        let outcome = stream.finish().await;
        self.ledger
            .accepted
            .extend(outcome.accepted.iter().cloned());
        outcome
    }

    /// Waits (up to `within`) until every invariant holds, or panics with
    /// what was still broken; returns the settled counts.
    pub async fn assert_invariants(&self, within: Duration) -> Settled {
        let groups = [
            (self.orders_group.clone(), self.result_topic.clone()),
            (self.payments_group.clone(), self.requested_topic.clone()),
        ];
        let snapshot = eventually("the invariants hold", within, || async {
            let snapshot =
                take_snapshot(&self.orders_url, &self.payments_url, &self.brokers, &groups).await?;
            let found = violations(&self.ledger, &snapshot);
            if found.is_empty() {
                Ok(snapshot)
            } else {
                Err(format!("{} violations: {}", found.len(), found.join("; ")))
            }
        })
        .await;
        snapshot.settled()
    }

    /// The accepted orders so far.
    pub fn accepted(&self) -> usize {
        self.ledger.accepted.len()
    }

    // ----- the infrastructure, controlled off the async threads -----

    /// `kill -9` of the private Kafka.
    pub async fn kill_kafka(&self) {
        self.private_broker().run(Broker::kill).await;
    }

    /// Starts the private Kafka again on its data and ports.
    pub async fn restart_kafka(&self) {
        self.private_broker()
            .run(Broker::restart)
            .await
            .expect("Kafka restarts on its data");
    }

    /// Stops the private PostgreSQL (`pg_ctl stop -m fast|immediate`).
    pub async fn shut_down_postgres(&self, how: Shutdown) {
        self.private_postgres()
            .run(move |postgres| postgres.shut_down(how))
            .await;
    }

    /// Starts the private PostgreSQL again on its data and port.
    pub async fn restart_postgres(&self) {
        self.private_postgres()
            .run(Postgres::restart)
            .await
            .expect("PostgreSQL restarts on its data");
    }

    fn private_broker(&self) -> &Controlled<Broker> {
        self.broker.as_ref().expect("Setup::private_kafka")
    }

    fn private_postgres(&self) -> &Controlled<Postgres> {
        self.postgres.as_ref().expect("Setup::private_postgres")
    }
}

impl Drop for ProcessSystem {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failing test: what the services said is part of the report.
            let services = self
                .orders
                .iter()
                .chain(&self.payments)
                .chain(&self.gateway);
            for service in services {
                eprintln!(
                    "--- {} (last lines)\n{}",
                    service.label,
                    service.log_tail(30)
                );
            }
        }
    }
}

async fn fresh(admin_url: &str, label: &str) -> String {
    let name = unique_name(label).replace(['-', '.'], "_");
    orderflow_devstack::ensure_database(admin_url, &name)
        .await
        .expect("a fresh database")
}

fn owned(vars: Vec<(&str, String)>) -> Vec<(String, String)> {
    vars.into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}
