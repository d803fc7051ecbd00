//! Money in integer minor units (cents). Never floats.

use std::fmt;

/// Why a number is not an amount or a balance, or an operation would break one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount must be greater than zero, got {0}")]
    NotPositive(i64),
    #[error("balance must not be negative, got {0}")]
    Negative(i64),
    #[error("the balance would exceed the largest amount that can be held")]
    Overflow,
    #[error("the balance is smaller than the amount")]
    Insufficient,
}

/// A positive amount of minor units: a price or a top-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    /// The smallest amount: one minor unit.
    pub const MIN: i64 = 1;

    pub fn minor_units(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Amount {
    type Error = MoneyError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if value >= Self::MIN {
            Ok(Self(value))
        } else {
            Err(MoneyError::NotPositive(value))
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an account holds: zero or more minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Balance(i64);

impl Balance {
    pub const ZERO: Self = Self(0);

    pub fn minor_units(self) -> i64 {
        self.0
    }

    /// The balance after adding `amount`, unless it would overflow.
    pub fn credit(self, amount: Amount) -> Result<Self, MoneyError> {
        self.0
            .checked_add(amount.0)
            .map(Self)
            .ok_or(MoneyError::Overflow)
    }

    /// The balance after taking `amount`, unless it would go negative.
    pub fn debit(self, amount: Amount) -> Result<Self, MoneyError> {
        match self.0.checked_sub(amount.0) {
            Some(rest) if rest >= 0 => Ok(Self(rest)),
            _ => Err(MoneyError::Insufficient),
        }
    }

    /// The largest balance to which `amount` can still be added.
    pub fn max_before_credit(amount: Amount) -> Self {
        Self(i64::MAX - amount.0)
    }
}

impl TryFrom<i64> for Balance {
    type Error = MoneyError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if value >= 0 {
            Ok(Self(value))
        } else {
            Err(MoneyError::Negative(value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_positive() {
        assert_eq!(Amount::try_from(1).unwrap().minor_units(), 1);
        assert_eq!(Amount::try_from(0), Err(MoneyError::NotPositive(0)));
        assert_eq!(Amount::try_from(-5), Err(MoneyError::NotPositive(-5)));
    }

    #[test]
    fn a_credit_that_would_overflow_is_refused() {
        let almost_full = Balance::try_from(i64::MAX - 1).unwrap();
        assert_eq!(
            almost_full
                .credit(Amount::try_from(1).unwrap())
                .unwrap()
                .minor_units(),
            i64::MAX
        );
        assert_eq!(
            almost_full.credit(Amount::try_from(2).unwrap()),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Balance::max_before_credit(Amount::try_from(1).unwrap()),
            almost_full
        );
    }

    #[test]
    fn a_debit_never_goes_below_zero() {
        let ten = Balance::try_from(10).unwrap();
        assert_eq!(ten.debit(Amount::try_from(10).unwrap()), Ok(Balance::ZERO));
        assert_eq!(
            ten.debit(Amount::try_from(11).unwrap()),
            Err(MoneyError::Insufficient)
        );
        assert_eq!(Balance::try_from(-1), Err(MoneyError::Negative(-1)));
    }
}
