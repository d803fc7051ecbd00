//! The soak: the real binaries (two replicas of each service and a gateway,
//! on a private PostgreSQL and Kafka) under a steady stream of orders for
//! 10 minutes, with a fault every 15 s, every kind in turn; then the
//! invariants. Outside the default run:
//!
//! ```text
//! cargo xtask test --run-ignored only -E 'binary(soak)'    # 10 minutes
//! ORDERFLOW_SOAK_SECS=60 cargo xtask test --run-ignored only -E 'binary(soak)'
//! ```
//!
//! `ORDERFLOW_SOAK_FAULT_EVERY_SECS` changes the 15 s between faults;
//! `ORDERFLOW_FAULT_SEED` repeats a run's random moments.

use std::time::{Duration, Instant};

use orderflow_devstack::Shutdown;
use orderflow_system_tests::{Dice, ProcessSystem, Setup};

/// A whole number of seconds from `name`, else `default`.
fn secs(name: &str, default: u64) -> Duration {
    let secs = std::env::var(name).ok().and_then(|secs| secs.parse().ok());
    Duration::from_secs(secs.unwrap_or(default))
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    KillPayments,
    KillOrders,
    KillGateway,
    TerminateOne,
    KillReplicas,
    KillKafka,
    PostgresFast,
    PostgresImmediate,
}

const ALL: [Fault; 8] = [
    Fault::KillPayments,
    Fault::KillOrders,
    Fault::KillGateway,
    Fault::TerminateOne,
    Fault::KillReplicas,
    Fault::KillKafka,
    Fault::PostgresFast,
    Fault::PostgresImmediate,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak of 10 minutes (ORDERFLOW_SOAK_SECS); run it on purpose"]
async fn ten_minutes_of_orders_with_a_fault_every_15_s_keep_every_invariant() {
    let soak = secs("ORDERFLOW_SOAK_SECS", 600);
    let every = secs("ORDERFLOW_SOAK_FAULT_EVERY_SECS", 15).max(Duration::from_secs(4));
    let mut system = ProcessSystem::start(Setup {
        replicas: 2,
        gateway: true,
        private_postgres: true,
        private_kafka: true,
        ..Setup::default()
    })
    .await;
    let mut users = system.open_accounts("payer", 10, 100_000).await;
    users.extend(system.open_accounts("broke", 1, 0).await);
    let mut dice = Dice::from_env_or_clock();

    let started = Instant::now();
    let grpc = system.stream_grpc(&users, 15.0, soak);
    let rest = system.stream_rest(&users, 5.0, soak);
    let mut faults = Vec::new();
    // Faults on a fixed schedule (a little jitter), whatever each one took.
    let end = tokio::time::Instant::now() + soak;
    let mut next = tokio::time::Instant::now() + every;
    while next < end {
        tokio::time::sleep_until(next - dice.millis(0, 2_000)).await;
        next += every;
        let fault = ALL[faults.len() % ALL.len()];
        eprintln!("{:>4.0?}: {fault:?}", started.elapsed());
        inject(&mut system, fault, &mut dice).await;
        faults.push(fault);
    }
    let grpc = system.finish(grpc).await;
    let rest = system.finish(rest).await;

    let settling = Instant::now();
    let settled = system.assert_invariants(Duration::from_secs(180)).await;
    eprintln!(
        "soak of {soak:?}: {} orders accepted ({} over gRPC, {} through the gateway), {} calls \
         failed, {} faults, {} FINISHED and {} CANCELLED, invariants held {:?} after the stream",
        system.accepted(),
        grpc.accepted.len(),
        rest.accepted.len(),
        grpc.failed + rest.failed,
        faults.len(),
        settled.finished,
        settled.cancelled,
        settling.elapsed()
    );
    assert!(!faults.is_empty(), "no fault in {soak:?}");
    assert!(settled.finished > 0);
}

/// Does `fault` and undoes it: whatever it stopped runs again afterwards.
async fn inject(system: &mut ProcessSystem, fault: Fault, dice: &mut Dice) {
    let replica = dice.between(0, 1) as usize;
    match fault {
        Fault::KillPayments => {
            system.payments[replica].kill().await;
            tokio::time::sleep(dice.millis(200, 2_000)).await;
            system.payments[replica].start().await;
        }
        Fault::KillOrders => {
            system.orders[replica].kill().await;
            tokio::time::sleep(dice.millis(200, 2_000)).await;
            system.orders[replica].start().await;
        }
        Fault::KillGateway => {
            let gateway = system.gateway.as_mut().expect("a gateway");
            gateway.kill().await;
            tokio::time::sleep(dice.millis(200, 2_000)).await;
            gateway.start().await;
        }
        Fault::TerminateOne => {
            let service = match dice.between(0, 2) {
                0 => &mut system.orders[replica],
                1 => &mut system.payments[replica],
                _ => system.gateway.as_mut().expect("a gateway"),
            };
            let status = service.terminate(Duration::from_secs(10)).await;
            assert!(
                status.is_some_and(|status| status.success()),
                "{}: {status:?}",
                service.label
            );
            service.start().await;
        }
        Fault::KillReplicas => {
            system.orders[1].kill().await;
            system.payments[1].kill().await;
            tokio::time::sleep(dice.millis(2_000, 5_000)).await;
            system.orders[1].start().await;
            system.payments[1].start().await;
        }
        Fault::KillKafka => {
            system.kill_kafka().await;
            tokio::time::sleep(dice.millis(3_000, 5_000)).await;
            system.restart_kafka().await;
        }
        Fault::PostgresFast | Fault::PostgresImmediate => {
            let how = match fault {
                Fault::PostgresFast => Shutdown::Fast,
                _ => Shutdown::Immediate,
            };
            system.shut_down_postgres(how).await;
            tokio::time::sleep(dice.millis(1_000, 4_000)).await;
            system.restart_postgres().await;
        }
    }
}
