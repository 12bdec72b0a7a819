//! Relaying a verified delivery to the upstream and its answer back.

use std::net::SocketAddr;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the HTTP client sets itself.
const NOT_FORWARDED: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Headers to drop: the fixed hop-by-hop set plus any named in `Connection`.
fn is_hop_by_hop(name: &HeaderName, connection: &[String]) -> bool {
    NOT_FORWARDED.contains(&name.as_str()) || connection.iter().any(|c| c == name.as_str())
}

fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `upstream`'s path joined with the request's path, plus the request's query.
pub fn upstream_url(upstream: &url::Url, uri: &Uri) -> url::Url {
    let mut url = upstream.clone();
    let base = upstream.path().trim_end_matches('/');
    url.set_path(&format!("{base}{}", uri.path()));
    url.set_query(uri.query());
    url
}

/// The headers sent upstream: the request's minus hop-by-hop ones (so all `webhook-*` and custom
/// headers pass), `Host` replaced by the upstream's, plus `X-Forwarded-For` (appended to) and
/// `X-Forwarded-Host/-Proto` (kept when a proxy in front set them; else this hop's host, and
/// `https` when `tls` served the request).
pub fn upstream_headers(incoming: &HeaderMap, peer: SocketAddr, tls: bool) -> HeaderMap {
    let connection = connection_tokens(incoming);
    let mut out = HeaderMap::with_capacity(incoming.len() + 3);
    for (name, value) in incoming {
        if name == http::header::HOST || is_hop_by_hop(name, &connection) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    let ip = peer.ip().to_string();
    let forwarded_for = match incoming.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {ip}"),
        None => ip,
    };
    if let Ok(v) = HeaderValue::try_from(forwarded_for) {
        out.insert("x-forwarded-for", v);
    }
    // What a proxy in front (a TLS-terminating ingress) said about the client's request wins
    // over what this hop saw.
    if !incoming.contains_key("x-forwarded-host")
        && let Some(host) = incoming.get(http::header::HOST)
    {
        out.insert("x-forwarded-host", host.clone());
    }
    if !incoming.contains_key("x-forwarded-proto") {
        out.insert("x-forwarded-proto", HeaderValue::from_static(if tls { "https" } else { "http" }));
    }
    out
}

/// Why forwarding failed.
#[derive(Debug)]
pub enum ForwardError {
    /// No answer in time: 504.
    Timeout,
    /// Could not connect, or the exchange failed: 502.
    Failed(String),
}

/// Sends the delivery upstream and converts the answer into our response.
pub async fn forward(
    client: &reqwest::Client,
    url: url::Url,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ForwardError> {
    let resp = client.request(Method::POST, url).headers(headers).body(body).send().await.map_err(classify)?;
    let status = resp.status();
    let connection = connection_tokens(resp.headers());
    let mut out_headers = HeaderMap::with_capacity(resp.headers().len());
    for (name, value) in resp.headers() {
        if !is_hop_by_hop(name, &connection) {
            out_headers.append(name.clone(), value.clone());
        }
    }
    let bytes = resp.bytes().await.map_err(classify)?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = out_headers;
    Ok(response)
}

fn classify(e: reqwest::Error) -> ForwardError {
    if e.is_timeout() {
        ForwardError::Timeout
    } else if e.is_connect() {
        ForwardError::Failed("cannot connect to the upstream".into())
    } else {
        ForwardError::Failed("the upstream exchange failed".into())
    }
}

impl ForwardError {
    /// 504 or 502.
    pub fn status(&self) -> StatusCode {
        match self {
            ForwardError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ForwardError::Failed(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// What to say in the answer and the log.
    pub fn message(&self) -> &str {
        match self {
            ForwardError::Timeout => "the upstream did not answer in time",
            ForwardError::Failed(m) => m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_paths_and_keep_queries() {
        let up = url::Url::parse("http://app:8080").unwrap();
        let uri: Uri = "/hooks/mendix?x=1&y=2".parse().unwrap();
        assert_eq!(upstream_url(&up, &uri).as_str(), "http://app:8080/hooks/mendix?x=1&y=2");
        let up = url::Url::parse("http://app:8080/base/").unwrap();
        assert_eq!(upstream_url(&up, &"/".parse().unwrap()).as_str(), "http://app:8080/base/");
        assert_eq!(upstream_url(&up, &"/a".parse().unwrap()).as_str(), "http://app:8080/base/a");
    }

    #[test]
    fn headers_pass_except_hop_by_hop() {
        let mut h = HeaderMap::new();
        h.insert("host", "receiver.example.com".parse().unwrap());
        h.insert("connection", "keep-alive, X-Hop".parse().unwrap());
        h.insert("x-hop", "1".parse().unwrap());
        h.insert("content-length", "2".parse().unwrap());
        h.insert("webhook-id", "msg_1".parse().unwrap());
        h.append("x-custom", "a".parse().unwrap());
        h.append("x-custom", "b".parse().unwrap());
        h.insert("x-forwarded-for", "10.0.0.1".parse().unwrap());
        let out = upstream_headers(&h, "192.0.2.7:5555".parse().unwrap(), false);
        assert_eq!(out["webhook-id"], "msg_1");
        assert_eq!(out.get_all("x-custom").iter().count(), 2);
        for gone in ["host", "connection", "x-hop", "content-length"] {
            assert!(out.get(gone).is_none(), "{gone}");
        }
        assert_eq!(out["x-forwarded-for"], "10.0.0.1, 192.0.2.7");
        assert_eq!(out["x-forwarded-host"], "receiver.example.com");
        assert_eq!(out["x-forwarded-proto"], "http", "what this hop received, when nobody said otherwise");
        let served_tls = upstream_headers(&h, "192.0.2.7:5555".parse().unwrap(), true);
        assert_eq!(served_tls["x-forwarded-proto"], "https", "this hop served TLS itself");
    }

    /// Issue 12, hole 6: behind a TLS-terminating ingress the app must still learn that the
    /// client used https (and which host it asked for).
    #[test]
    fn forwarded_proto_and_host_of_the_ingress_are_kept() {
        let mut h = HeaderMap::new();
        h.insert("host", "receiver.internal:8080".parse().unwrap());
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        h.insert("x-forwarded-host", "hooks.example.com".parse().unwrap());
        let out = upstream_headers(&h, "10.1.2.3:5555".parse().unwrap(), false);
        assert_eq!(out["x-forwarded-proto"], "https");
        assert_eq!(out["x-forwarded-host"], "hooks.example.com");
    }
}
