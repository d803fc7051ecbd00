//! The orders database: schema migrations, the `orders` table and its queries.

pub mod migration;
pub(crate) mod orders;
