//! The accept loop of `hookwright receive`: at most `max_connections` open connections (one more
//! is answered 503 at once, so a flood of idle connections cannot queue valid senders behind it),
//! optional TLS, and HTTP/1.1 with a deadline for the TLS handshake and for every request head.
//! The first head is read into a small buffer before HTTP/1 allocates its own (see `head.rs`).
//! Body deadlines are the handler's (`Config::body_read_timeout`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::tls::TlsFiles;
use super::{Proxy, head};

/// Largest request head (start line and headers) buffered; hyper answers 431 beyond it.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long open connections may finish their requests once shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Sent on a connection over the limit, before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\n\
content-type: text/plain; charset=utf-8\r\ncontent-length: 29\r\n\r\ntoo many connections; retry\r\n";

/// Whether the connection a request came on is TLS (a request extension set by the loop).
#[derive(Debug, Clone, Copy)]
pub struct ServedTls(pub bool);

/// Connection limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Deadline for a TLS handshake and for each request head, from the moment it is awaited.
    pub header_read_timeout: Duration,
}

/// Accepts connections until `shutdown` completes, then lets open ones finish for [`DRAIN`].
pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<TlsFiles>>,
    limits: Limits,
    app: Router,
    proxy: Arc<Proxy>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_buf_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            proxy.metrics.connection_refused();
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let open = Open::new(proxy.clone(), slot);
        // The configuration of the moment: a renewed certificate applies to new connections.
        let tls = tls.as_ref().map(|t| tokio_rustls::TlsAcceptor::from(t.server_config()));
        let (app, http, watcher) = (app.clone(), http.clone(), graceful.watcher());
        let deadline = limits.header_read_timeout;
        tokio::spawn(async move {
            let _open = open;
            match tls {
                // Boxed: each task holds only the future of its own kind of connection.
                None => Box::pin(serve_connection(stream, (peer, false), app, http, watcher, deadline)).await,
                Some(acceptor) => match tokio::time::timeout(deadline, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => Box::pin(serve_connection(tls, (peer, true), app, http, watcher, deadline)).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake not finished in time"),
                },
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!(drain_secs = DRAIN.as_secs(), "connections still open after the drain period; closing them");
    }
}

/// Serves HTTP/1.1 on `io` once its first request head has arrived within the deadline.
async fn serve_connection<I>(
    mut io: I,
    (peer, tls): (SocketAddr, bool),
    app: Router,
    http: http1::Builder,
    watcher: Watcher,
    deadline: Duration,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head = match tokio::time::timeout(deadline, head::read_head(&mut io, MAX_HEAD_BYTES)).await {
        Ok(Ok(head)) if !head.is_empty() => head,
        Ok(Ok(_)) => return,
        Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "connection failed before a request"),
        Err(_) => return tracing::debug!(%peer, "no complete request head in time; connection closed"),
    };
    let io = head::Prefixed::new(head, io);
    let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(ServedTls(tls));
        // A Router is always ready; it needs no poll_ready before call.
        tower_service::Service::call(&mut app.clone(), req)
    });
    if let Err(e) = watcher.watch(http.serve_connection(TokioIo::new(io), service)).await {
        tracing::debug!(%peer, error = %e, "connection closed with an error");
    }
}

async fn refuse(mut stream: TcpStream) {
    let answer = async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

/// One open connection: holds its slot and keeps the gauge right however the task ends.
struct Open {
    proxy: Arc<Proxy>,
    _slot: OwnedSemaphorePermit,
}

impl Open {
    fn new(proxy: Arc<Proxy>, slot: OwnedSemaphorePermit) -> Open {
        proxy.metrics.connection(true);
        Open { proxy, _slot: slot }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.proxy.metrics.connection(false);
    }
}
