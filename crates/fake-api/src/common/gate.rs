//! The gate in front of every fake's public API, as an API gateway would apply it: counting
//! (and, where the fake keeps one, the request log), latency, rate limit, hang and error faults,
//! the invalid-write fault, authentication; then the handler. Also cuts the connection of a
//! response marked [`DropConnection`] (commit-then-drop).
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::conn::ConnHandle;
use super::errors::InvalidParam;
use super::faults::roll;
use super::lock;
use super::request_log::{LoggedRequest, body_fields};
use super::runtime::Runtime;
use super::tokens::Registry;

/// Bodies larger than this are refused with 413 (axum's default body limit).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// How much of a too-large body is still read (and dropped), so that the client, still
/// sending, gets to read the 413 instead of a reset connection.
pub const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// The body, or `None` when it is over [`BODY_LIMIT`] (or cannot be read).
async fn read_body(mut body: Body) -> Option<Bytes> {
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(data) = frame.ok()?.into_data() else { continue };
        total = total.saturating_add(data.len());
        if total > DRAIN_LIMIT {
            return None;
        }
        if total <= BODY_LIMIT {
            buf.extend_from_slice(&data);
        }
    }
    (total <= BODY_LIMIT).then(|| Bytes::from(buf))
}

/// The answers the shared code gives; each fake renders them in its own error body.
#[derive(Clone, Debug)]
pub(crate) enum Failure {
    /// No token, or an unknown one.
    Unauthorized,
    /// The token's budget for the window is spent.
    TooManyRequests,
    /// `hangRate`: held, then given up.
    GatewayTimeout,
    /// `errorRate`.
    Internal,
    /// `invalidRate`: a 400 the client cannot foresee.
    InvalidFault,
    /// Over [`BODY_LIMIT`].
    PayloadTooLarge,
    /// 400 with these fields (admin API input).
    Validation(Vec<InvalidParam>),
    /// 404 with this message (admin API).
    NotFound(&'static str),
}

/// A [`Failure`] rendered by the fake `S`: the error type of shared handlers.
pub(crate) struct Reject<S>(pub Failure, PhantomData<fn() -> S>);

impl<S> From<Failure> for Reject<S> {
    fn from(f: Failure) -> Self {
        Self(f, PhantomData)
    }
}

impl<S: Flavor> IntoResponse for Reject<S> {
    fn into_response(self) -> Response {
        S::failure(self.0)
    }
}

/// What a fake tells the shared gate and admin handlers about itself.
pub(crate) trait Flavor: Send + Sync + 'static {
    /// What a token may do.
    type Grant: Clone + DeserializeOwned + Send + Sync + 'static;
    /// Whether requests and their bodies go to the request log.
    const KEEP_REQUEST_LOG: bool;

    fn runtime(&self) -> &Runtime;
    fn tokens(&self) -> &Mutex<Registry<Self::Grant>>;
    /// The token of the request's `Authorization` header, in this API's scheme.
    fn presented_token(headers: &HeaderMap) -> Option<&str>;
    fn route_template(path: &str) -> &'static str;
    /// Whether `invalidRate` applies to this request (writes with a body).
    fn invalid_fault_applies(method: &Method, route: &str) -> bool;
    fn failure(failure: Failure) -> Response;
}

/// The authenticated caller, put into request extensions by the gate.
#[derive(Clone, Debug)]
pub(crate) struct Caller<G> {
    pub grant: G,
}

/// Response marker: cut the connection instead of sending this response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

/// A create's answer, marked to be dropped after the commit with probability
/// `commitThenDropRate`.
pub(crate) fn commit_then_drop(rt: &Runtime, mut resp: Response) -> Response {
    if roll(rt.faults().commit_then_drop_rate) {
        resp.extensions_mut().insert(DropConnection);
    }
    resp
}

/// Records one request when dropped (status 0 if no response was sent): in the counters, and in
/// the request log if the fake keeps one.
struct Record<S: Flavor> {
    state: Arc<S>,
    method: String,
    route: &'static str,
    path: String,
    query: Option<String>,
    seq: u64,
    body: Bytes,
    status: Option<u16>,
}

impl<S: Flavor> Record<S> {
    fn finish(&mut self, resp: Response) -> Response {
        self.status.get_or_insert(resp.status().as_u16());
        resp
    }
}

impl<S: Flavor> Drop for Record<S> {
    fn drop(&mut self) {
        let status = self.status.unwrap_or(0);
        tracing::debug!(method = %self.method, route = self.route, status, "api request");
        let rt = self.state.runtime();
        lock(&rt.counters).record(&self.method, self.route, status);
        if S::KEEP_REQUEST_LOG {
            let (body, raw_body) = body_fields(&self.body);
            lock(&rt.log).push(LoggedRequest {
                seq: self.seq,
                method: self.method.clone(),
                route: self.route.to_string(),
                path: std::mem::take(&mut self.path),
                query: self.query.take(),
                status,
                body,
                raw_body,
            });
        }
    }
}

/// The middleware; install with `axum::middleware::from_fn_with_state(state, gate::<S>)`.
pub(crate) async fn gate<S: Flavor>(State(st): State<Arc<S>>, mut req: Request, next: Next) -> Response {
    let conn = req.extensions().get::<ConnectInfo<ConnHandle>>().map(|c| c.0.clone());
    let rt = st.runtime();
    let mut record = Record {
        state: st.clone(),
        method: req.method().to_string(),
        route: S::route_template(req.uri().path()),
        path: req.uri().path().to_string(),
        query: req.uri().query().map(str::to_owned),
        seq: if S::KEEP_REQUEST_LOG { lock(&rt.log).arrive() } else { 0 },
        body: Bytes::new(),
        status: None,
    };
    let mut too_large = false;
    if S::KEEP_REQUEST_LOG {
        let (parts, body) = req.into_parts();
        match read_body(body).await {
            Some(bytes) => record.body = bytes,
            None => too_large = true,
        }
        req = Request::from_parts(parts, Body::from(record.body.clone()));
    }
    let faults = rt.faults();
    let delay = faults.delay();
    if !delay.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = rt.shutting_down() => {}
        }
    }
    let token = S::presented_token(req.headers()).map(str::to_owned);
    let grant = token.as_deref().and_then(|t| lock(st.tokens()).lookup(t).cloned());
    let bucket = if grant.is_some() { token.unwrap_or_default() } else { String::new() };
    let decision = lock(&rt.limiter).hit(&bucket, SystemTime::now());
    let mut resp = if !decision.allowed {
        S::failure(Failure::TooManyRequests)
    } else if roll(faults.hang_rate) {
        tokio::select! {
            _ = tokio::time::sleep(faults.hang()) => {}
            _ = rt.shutting_down() => {}
        }
        S::failure(Failure::GatewayTimeout)
    } else if roll(faults.error_rate) {
        S::failure(Failure::Internal)
    } else if S::invalid_fault_applies(req.method(), record.route) && roll(faults.invalid_rate) {
        S::failure(Failure::InvalidFault)
    } else if let Some(grant) = grant {
        if too_large {
            S::failure(Failure::PayloadTooLarge)
        } else {
            req.extensions_mut().insert(Caller { grant });
            next.run(req).await
        }
    } else {
        S::failure(Failure::Unauthorized)
    };
    decision.apply(resp.headers_mut());
    if resp.extensions().get::<DropConnection>().is_some()
        && let Some(conn) = conn
    {
        conn.cut();
        record.status = Some(0);
    }
    record.finish(resp)
}
