//! The constraints the API enforces, written into the OpenAPI document from
//! the same constants the code checks them with: user ids from
//! [`UserId`], amounts from [`Amount`], pages from
//! [`routes::orders`](crate::routes::orders). A client generated from the
//! document, or a fuzzer reading it, then sends only values the API accepts.

use orderflow_domain::{Amount, UserId};
use utoipa::openapi::{OpenApi, RefOr, Schema, schema::Object};

use crate::routes::orders::{LIMITS, OFFSETS};

/// States every constraint on the schemas of `document`: the properties of
/// its component schemas and the parameters of its operations, by name.
pub(crate) fn state(document: &mut OpenApi) {
    if let Some(components) = document.components.as_mut() {
        for schema in components.schemas.values_mut() {
            if let RefOr::T(Schema::Object(object)) = schema {
                for (name, property) in &mut object.properties {
                    constrain(name, property);
                }
            }
        }
    }
    for item in document.paths.paths.values_mut() {
        for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter
                    && let Some(schema) = parameter.schema.as_mut()
                {
                    constrain(&parameter.name, schema);
                }
            }
        }
    }
}

/// The constraints of the value called `name`, wherever it appears.
fn constrain(name: &str, schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(object)) = schema else {
        return;
    };
    match name {
        "user_id" | "userId" | "X-User-Id" => user_id(object),
        "amount" => object.minimum = Some(Amount::MIN.into()),
        "limit" => range(object, &LIMITS),
        "offset" => range(object, &OFFSETS),
        _ => {}
    }
}

fn user_id(object: &mut Object) {
    object.min_length = Some(UserId::MIN_LEN);
    object.max_length = Some(UserId::MAX_LEN);
    object.pattern = Some(UserId::PATTERN.to_owned());
}

fn range(object: &mut Object, range: &std::ops::RangeInclusive<i32>) {
    object.minimum = Some(i64::from(*range.start()).into());
    object.maximum = Some(i64::from(*range.end()).into());
}
