//! The users of a run: most have money, a share has none (their orders must
//! be cancelled for lack of funds). Names carry a run id, so runs against the
//! same system never share an account.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt, stream};

use crate::{Api, CallError, Options, tracker::Settled};

pub struct Population {
    payers: Vec<String>,
    penniless: Vec<String>,
    fail_share: f64,
}

impl Population {
    pub fn new(users: usize, fail_share: f64) -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        let run = &run[..8];
        let fail_share = fail_share.clamp(0.0, 1.0);
        let penniless_count = if fail_share > 0.0 {
            ((users as f64 * fail_share).ceil() as usize).clamp(1, users.max(1))
        } else {
            0
        };
        let payers_count = users.max(1).saturating_sub(penniless_count).max(1);
        Self {
            payers: (0..payers_count).map(|i| format!("lg-{run}-{i}")).collect(),
            penniless: (0..penniless_count)
                .map(|i| format!("lg-{run}-broke-{i}"))
                .collect(),
            fail_share,
        }
    }

    /// The user who places order `index`, and whether they can pay: orders
    /// go to the penniless at `fail_share`, spread evenly.
    pub fn user_for(&self, index: usize) -> (String, bool) {
        let share = self.fail_share;
        let unpaid = ((index + 1) as f64 * share).floor() > (index as f64 * share).floor();
        if unpaid && !self.penniless.is_empty() {
            (self.penniless[index % self.penniless.len()].clone(), false)
        } else {
            (self.payers[index % self.payers.len()].clone(), true)
        }
    }

    /// Opens every account and tops up the payers' with `balance`.
    pub async fn open_accounts(&self, api: &Api, balance: i64) -> Result<(), CallError> {
        let users = self
            .payers
            .iter()
            .map(|user| (user, true))
            .chain(self.penniless.iter().map(|user| (user, false)));
        stream::iter(users)
            .map(|(user, pays)| async move {
                api.open_account(user).await?;
                if pays {
                    api.top_up(user, balance).await
                } else {
                    Ok(())
                }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await
            .map(drop)
    }

    /// Every balance equals the top-up minus the user's FINISHED orders (and
    /// none is negative); `Err` says which is not.
    pub async fn check_balances(
        &self,
        api: &Api,
        options: &Options,
        settled: &[Settled],
    ) -> Result<String, String> {
        let mut finished: BTreeMap<String, i64> = BTreeMap::new();
        for order in settled.iter().filter(|order| order.status == "FINISHED") {
            *finished.entry(order.placed.user.clone()).or_default() += options.amount;
        }
        let top_ups: BTreeMap<String, i64> = (self.payers.iter())
            .map(|user| (user.clone(), options.balance))
            .chain(self.penniless.iter().map(|user| (user.clone(), 0)))
            .collect();
        let (mut balances, mut wrong) = (BTreeMap::new(), Vec::new());
        for user in top_ups.keys() {
            match api.balance(user).await {
                Ok(balance) => drop(balances.insert(user.clone(), balance)),
                Err(error) => wrong.push(format!("{user}: {error}")),
            }
        }
        let checked = balances.len();
        wrong.extend(orderflow_invariants::balance_violations(
            &top_ups, &finished, &balances,
        ));
        if wrong.is_empty() {
            Ok(format!("{checked} balances exact"))
        } else {
            Err(wrong.join("; "))
        }
    }
}
