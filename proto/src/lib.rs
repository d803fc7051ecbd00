//! The protobuf contracts of orderflow, generated at build time.
//!
//! - [`orders::v1`]: the `OrdersService` gRPC API.
//! - [`payments::v1`]: the `PaymentsService` gRPC API.
//! - [`events::v1`]: the Kafka events `PaymentRequested` and `PaymentResult`.

/// The orders gRPC API (`orders.v1`).
pub mod orders {
    pub mod v1 {
        tonic::include_proto!("orders.v1");

        /// The encoded `FileDescriptorSet` of `orders.v1` and its imports,
        /// for the orders server's reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("orders_descriptor");
    }
}

/// The payments gRPC API (`payments.v1`).
pub mod payments {
    pub mod v1 {
        tonic::include_proto!("payments.v1");

        /// The encoded `FileDescriptorSet` of `payments.v1` and its imports,
        /// for the payments server's reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("payments_descriptor");
    }
}

/// The Kafka events (`orderflow.events.v1`).
pub mod events {
    pub mod v1 {
        tonic::include_proto!("orderflow.events.v1");

        /// The full name of [`PaymentRequested`], as in the `event-type` header.
        pub const PAYMENT_REQUESTED: &str = "orderflow.events.v1.PaymentRequested";
        /// The full name of [`PaymentResult`], as in the `event-type` header.
        pub const PAYMENT_RESULT: &str = "orderflow.events.v1.PaymentResult";
    }
}

pub use prost_types::Timestamp;

/// A protobuf timestamp for `time` (UTC).
pub fn timestamp(seconds: i64, nanos: u32) -> Timestamp {
    Timestamp {
        seconds,
        nanos: i32::try_from(nanos).unwrap_or(i32::MAX),
    }
}
