//! Database work as client spans, by the OpenTelemetry database conventions
//! (`db.system.name`, `db.operation.name`, `db.collection.name`).

/// The span of one statement: `operation` (`INSERT`, `UPDATE`, `SELECT`) on
/// `table`, a child of the current span.
pub fn span(operation: &'static str, table: &'static str) -> tracing::Span {
    tracing::info_span!(
        "db",
        otel.name = format!("{operation} {table}"),
        otel.kind = "client",
        db.system.name = "postgresql",
        db.operation.name = operation,
        db.collection.name = table,
    )
}
