//! The payments database: schema migrations, accounts and payments.

pub mod accounts;
pub mod migration;
pub(crate) mod payments;
