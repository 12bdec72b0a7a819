//! The first request head of a connection, read before HTTP takes over: a connection costs a
//! small buffer until its head is complete, not the two 8 KiB buffers HTTP/1 allocates, so
//! thousands of idle or trickling connections stay cheap. The bytes read are replayed to HTTP.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

/// How much the head buffer grows per read.
const STEP: usize = 512;

/// Reads until the bytes end a request head (an empty line), the peer stops sending, or `max`
/// bytes have arrived; returns what was read.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    while buf.len() < max {
        let searched = buf.len().saturating_sub(3);
        let room = max - buf.len();
        buf.reserve(STEP.min(room));
        let read = (&mut *stream).take(u64::try_from(room).unwrap_or(u64::MAX)).read_buf(&mut buf).await?;
        if read == 0 || ends_head(buf.get(searched..).unwrap_or_default()) {
            break;
        }
    }
    Ok(buf)
}

fn ends_head(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"\r\n\r\n")
}

/// A stream whose first bytes are `prefix` (already read from it), then the stream itself.
pub struct Prefixed<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    /// `prefix` followed by what `inner` still has to give.
    pub fn new(prefix: Vec<u8>, inner: S) -> Prefixed<S> {
        Prefixed { prefix, pos: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.prefix.get(this.pos..).filter(|r| !r.is_empty()) {
            let n = out.remaining().min(rest.len());
            out.put_slice(rest.get(..n).unwrap_or_default());
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, out)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    #[tokio::test]
    async fn head_is_read_up_to_the_empty_line_and_replayed() {
        let (mut client, mut server) = tokio::io::duplex(64);
        let sender = tokio::spawn(async move {
            for part in [&b"POST / HTTP/1.1\r\nHost: x\r"[..], b"\n", b"\r", b"\nbody"] {
                client.write_all(part).await.unwrap();
                client.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
            client
        });
        let head = read_head(&mut server, 1024).await.unwrap();
        assert!(head.starts_with(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"), "{head:?}");
        let _client = sender.await.unwrap();
        let mut replay = Prefixed::new(head.clone(), server);
        let mut got = vec![0u8; head.len()];
        replay.read_exact(&mut got).await.unwrap();
        assert_eq!(got, head);
    }

    #[tokio::test]
    async fn reading_stops_at_the_limit_and_at_end_of_stream() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        client.write_all(&[b'a'; 3000]).await.unwrap();
        assert_eq!(read_head(&mut server, 1000).await.unwrap().len(), 1000);
        drop(client);
        let (client, mut server) = tokio::io::duplex(64);
        drop(client);
        assert!(read_head(&mut server, 1000).await.unwrap().is_empty());
    }
}
