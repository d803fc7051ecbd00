//! The `orders` table and its queries. Each query takes any connection, so
//! callers choose the transaction.

use anyhow::Context;
use orderflow_runtime::db_span;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, entity::prelude::*, sea_query::Expr,
};
use tracing::Instrument;

use orderflow_domain::{Amount, FailureReason, UserId};

use crate::domain::{Description, Order, OrderStatus, Page, PageRequest, Settlement};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) user_id: String,
    pub(crate) amount: i64,
    pub(crate) description: String,
    pub(crate) status: String,
    pub(crate) failure_reason: Option<String>,
    pub(crate) created_at: ChronoDateTimeUtc,
    pub(crate) updated_at: ChronoDateTimeUtc,
    pub(crate) trace_id: Option<String>,
    pub(crate) correlation_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Order {
    type Error = anyhow::Error;

    fn try_from(row: Model) -> Result<Self, Self::Error> {
        let id = row.id;
        let status = OrderStatus::parse(&row.status)
            .with_context(|| format!("order {id} has unknown status {:?}", row.status))?;
        let failure_reason = row
            .failure_reason
            .as_deref()
            .map(FailureReason::try_from)
            .transpose()
            .with_context(|| format!("order {id} has an unknown failure reason"))?;
        Ok(Self {
            id,
            user_id: UserId::try_from(row.user_id)
                .with_context(|| format!("order {id} has an invalid user id"))?,
            amount: Amount::try_from(row.amount)
                .with_context(|| format!("order {id} has an invalid amount"))?,
            description: Description::try_from(row.description)
                .with_context(|| format!("order {id} has an invalid description"))?,
            status,
            failure_reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
            trace_id: row.trace_id,
            correlation_id: row.correlation_id,
        })
    }
}

/// Stores `order`.
pub(crate) async fn insert(db: &impl ConnectionTrait, order: &Order) -> anyhow::Result<()> {
    Entity::insert(ActiveModel {
        id: Set(order.id),
        user_id: Set(order.user_id.to_string()),
        amount: Set(order.amount.minor_units()),
        description: Set(order.description.as_str().to_owned()),
        status: Set(order.status.as_str().to_owned()),
        failure_reason: Set(order
            .failure_reason
            .map(|reason| reason.as_str().to_owned())),
        created_at: Set(order.created_at),
        updated_at: Set(order.updated_at),
        trace_id: Set(order.trace_id.clone()),
        correlation_id: Set(order.correlation_id.clone()),
    })
    .exec_without_returning(db)
    .instrument(db_span::span("INSERT", "orders"))
    .await
    .context("inserting the order")?;
    Ok(())
}

/// The order with `id`, if any.
pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> anyhow::Result<Option<Order>> {
    Entity::find_by_id(id)
        .one(db)
        .instrument(db_span::span("SELECT", "orders"))
        .await
        .context("reading the order")?
        .map(Order::try_from)
        .transpose()
}

/// A page of `user_id`'s orders, newest first, and their total.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    page: PageRequest,
) -> anyhow::Result<Page> {
    let of_user = Entity::find().filter(Column::UserId.eq(user_id.as_str()));
    let total = of_user.clone().count(db).await.context("counting orders")?;
    let orders = of_user
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await
        .context("listing orders")?
        .into_iter()
        .map(Order::try_from)
        .collect::<anyhow::Result<_>>()?;
    Ok(Page { orders, total })
}

/// What settling an order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// The order, created at this time, was `NEW` and now is `FINISHED`
    /// or `CANCELLED`.
    Changed {
        created_at: chrono::DateTime<chrono::Utc>,
    },
    /// The order was settled before; nothing changed.
    Already,
    /// No such order.
    UnknownOrder,
}

/// Moves order `id` from `NEW` to `FINISHED` or `CANCELLED`; only a `NEW`
/// order changes.
pub(crate) async fn settle(
    db: &impl ConnectionTrait,
    id: Uuid,
    settlement: &Settlement,
) -> anyhow::Result<Settled> {
    let (status, reason) = match settlement {
        Settlement::Paid => (OrderStatus::Finished, None),
        Settlement::Declined(reason) => (OrderStatus::Cancelled, Some(reason.as_str())),
    };
    let updated = Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::FailureReason, Expr::value(reason))
        .col_expr(Column::UpdatedAt, Expr::current_timestamp())
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(OrderStatus::New.as_str()))
        .exec_with_returning(db)
        .instrument(db_span::span("UPDATE", "orders"))
        .await
        .context("settling the order")?;
    if let Some(order) = updated.first() {
        return Ok(Settled::Changed {
            created_at: order.created_at,
        });
    }
    let exists = Entity::find_by_id(id)
        .count(db)
        .await
        .context("looking the order up")?
        > 0;
    Ok(if exists {
        Settled::Already
    } else {
        Settled::UnknownOrder
    })
}
