//! Genesys error answers as the client hands them on, for tests that feed the app directly.

use genesys::catalog::EndpointId;
use genesys::client::{ApiError, ErrorKind, Request};
use genesys::models::ErrorBody;

/// A non-2xx answer with a Genesys `ErrorBody`.
pub fn api_error(endpoint: EndpointId, status: u16, code: &str, message: &str) -> ApiError {
    ApiError {
        request: Request::new(endpoint).line(),
        kind: ErrorKind::Api {
            status,
            body: Some(Box::new(ErrorBody {
                code: Some(code.into()),
                message: Some(message.into()),
                status: Some(status),
                ..Default::default()
            })),
            raw: String::new(),
        },
        meta: None,
    }
}

/// The observations query refused for want of its permission.
pub fn forbidden() -> ApiError {
    api_error(
        EndpointId::QueueObservations,
        403,
        "missing.permissions",
        "Unable to perform the requested action. You are missing the following permission(s): [analytics:queueObservation:view]",
    )
}

/// The official 429 example.
pub fn too_many() -> ApiError {
    api_error(
        EndpointId::QueueObservations,
        429,
        "too.many.requests.retry.after",
        "Rate limit exceeded the maximum. Retry the request in [42] seconds",
    )
}

/// A 503 with the documented message.
pub fn unavailable() -> ApiError {
    api_error(EndpointId::QueueObservations, 503, "service.unavailable", "The service is currently unavailable.")
}
