//! The debit is one conditional UPDATE: a second debit of an account whose
//! row another transaction has just debited waits for that transaction, then
//! re-checks the balance it left and is refused; it never reads a stale
//! balance and takes it below zero. (The CHECK constraint would only turn a
//! blind UPDATE into an error; this shows the condition itself.)

use std::time::Duration;

use orderflow_devstack::TestEnv;
use orderflow_domain::{Amount, UserId};
use payments::db::{
    accounts::{self, Change},
    migration::Migrator,
};
use sea_orm::{Database, TransactionTrait};
use sea_orm_migration::MigratorTrait;

#[tokio::test(flavor = "multi_thread")]
async fn a_debit_racing_an_uncommitted_debit_waits_and_then_sees_the_balance_it_left() {
    let url = TestEnv::from_env()
        .fresh_database("debit")
        .await
        .expect("a database");
    let db = Database::connect(&url).await.expect("connects");
    Migrator::up(&db, None).await.expect("migrates");
    let user = UserId::try_from("debit-max".to_owned()).expect("a user id");
    let price = Amount::try_from(100).expect("an amount");
    assert!(accounts::create(&db, &user).await.expect("creates"));
    accounts::credit(&db, &user, price).await.expect("credits");

    let first = db.begin().await.expect("a transaction");
    assert!(matches!(
        accounts::debit(&first, &user, price).await.expect("debits"),
        Change::Applied(balance) if balance.minor_units() == 0
    ));
    let second = tokio::spawn({
        let db = db.clone();
        let user = user.clone();
        async move {
            let txn = db.begin().await.expect("a transaction");
            let change = accounts::debit(&txn, &user, price).await.expect("runs");
            txn.commit().await.expect("commits");
            change
        }
    });
    // The second debit blocks on the row the first holds.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), async {
            while !second.is_finished() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .is_err(),
        "the second debit did not wait for the first transaction"
    );
    first.commit().await.expect("commits");
    let change = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("the second debit ends once the first commits")
        .expect("no panic");
    assert_eq!(change, Change::Refused);
    let balance = accounts::balance(&db, &user).await.expect("reads");
    assert_eq!(balance.map(|balance| balance.minor_units()), Some(0));
}
