//! The load generator: client connections over TLS with the endpoint's client certificate
//! (HTTP/2, or HTTP/1.1 with keep-alive), and a closed loop of clients that each send their
//! next operation once the previous answer is read to its end, for a fixed time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use http::{HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::common::cluster::tls_client_pem;
use crate::endpoint::Endpoint;

pub const JSON: &str = "application/json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http2,
    Http1,
}

/// One request as a scenario describes it: the path carries the query.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub accept: &'static str,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
}

impl Call {
    pub fn get(path: String, accept: &'static str) -> Call {
        Call {
            method: Method::GET,
            path,
            accept,
            content_type: None,
            body: Bytes::new(),
        }
    }

    pub fn with_body(
        method: Method,
        path: String,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Call {
        Call {
            method,
            path,
            accept: JSON,
            content_type: Some(content_type),
            body: body.into(),
        }
    }
}

/// A complete answer.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    /// The answer, or an error naming the call when it is not 2xx.
    pub fn ok(self, call: &Call) -> anyhow::Result<Bytes> {
        if self.status.is_success() {
            return Ok(self.body);
        }
        bail!(
            "{} {}: {}: {}",
            call.method,
            call.path,
            self.status,
            String::from_utf8_lossy(&self.body[..self.body.len().min(600)])
        )
    }
}

/// One connection to an endpoint. An HTTP/2 connection can be cloned to open more streams
/// on it.
#[derive(Clone)]
pub struct Connection {
    sender: Sender,
    authority: String,
}

#[derive(Clone)]
enum Sender {
    Http2(http2::SendRequest<Full<Bytes>>),
    Http1(Arc<tokio::sync::Mutex<http1::SendRequest<Full<Bytes>>>>),
}

/// The TLS client settings for `endpoint`, offering `protocol` by ALPN.
pub fn tls_config(endpoint: &Endpoint, protocol: Protocol) -> Arc<rustls::ClientConfig> {
    let base = tls_client_pem(
        &endpoint.ca_pem,
        &endpoint.client_cert_pem,
        &endpoint.client_key_pem,
    );
    let mut config = (*base).clone();
    config.alpn_protocols = vec![match protocol {
        Protocol::Http2 => b"h2".to_vec(),
        Protocol::Http1 => b"http/1.1".to_vec(),
    }];
    Arc::new(config)
}

impl Connection {
    pub async fn open(endpoint: &Endpoint, protocol: Protocol) -> anyhow::Result<Connection> {
        let uri: Uri = endpoint.url.parse().context("endpoint URL")?;
        let authority = uri.authority().context("endpoint host")?.to_string();
        let tcp = TcpStream::connect(&authority)
            .await
            .with_context(|| format!("connecting to {authority}"))?;
        tcp.set_nodelay(true)?;
        let server_name = ServerName::try_from(endpoint.server_name.clone())?;
        let tls = TlsConnector::from(tls_config(endpoint, protocol))
            .connect(server_name, tcp)
            .await
            .with_context(|| format!("TLS handshake with {}", endpoint.name))?;
        let io = TokioIo::new(tls);
        let sender = match protocol {
            Protocol::Http2 => {
                let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                    .initial_stream_window_size(4 << 20)
                    .initial_connection_window_size(8 << 20)
                    .handshake(io)
                    .await?;
                tokio::spawn(connection);
                Sender::Http2(sender)
            }
            Protocol::Http1 => {
                let (sender, connection) = http1::handshake(io).await?;
                tokio::spawn(connection);
                Sender::Http1(Arc::new(tokio::sync::Mutex::new(sender)))
            }
        };
        Ok(Connection { sender, authority })
    }

    /// Sends `call` and returns the response with its body still streaming (for watches).
    pub async fn start(&self, call: &Call) -> anyhow::Result<http::Response<Incoming>> {
        let mut request = Request::builder()
            .method(call.method.clone())
            .header(header::ACCEPT, call.accept);
        if let Some(content_type) = call.content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        Ok(match &self.sender {
            Sender::Http2(sender) => {
                // HTTP/2 takes the scheme and authority from the URI (its pseudo-headers).
                let uri = format!("https://{}{}", self.authority, call.path);
                let request = request.uri(uri).body(Full::new(call.body.clone()))?;
                sender.clone().send_request(request).await?
            }
            Sender::Http1(sender) => {
                let host = HeaderValue::from_str(&self.authority)?;
                let request = request
                    .uri(call.path.as_str())
                    .header(header::HOST, host)
                    .body(Full::new(call.body.clone()))?;
                let mut sender = sender.lock().await;
                sender.ready().await?;
                sender.send_request(request).await?
            }
        })
    }

    /// Sends `call` and reads the whole answer.
    pub async fn send(&self, call: &Call) -> anyhow::Result<Answer> {
        let response = self.start(call).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer { status, body })
    }
}

/// What one client does once per loop: one or more calls, timed as one operation. An `Err`
/// counts as an error (a transport failure or an answer that is not 2xx).
pub trait Operation: Send + 'static {
    fn run<'a>(&'a mut self, connection: &'a Connection) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// A closed loop's shape: how many clients, each on its own connection, for how long.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub clients: usize,
    pub duration: Duration,
    pub protocol: Protocol,
}

/// What a closed loop measured.
pub struct Outcome {
    pub operations: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latency of successful operations, in microseconds.
    pub latency: Histogram<u64>,
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn empty() -> Outcome {
        Outcome {
            operations: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latency: latency_histogram(),
            first_error: None,
        }
    }

    /// Adds another round's outcome (throughput is then over both rounds' time).
    pub fn merge(&mut self, other: Outcome) {
        self.operations += other.operations;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latency
            .add(&other.latency)
            .expect("histograms of one shape");
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Microseconds from 1 µs to 10 min at three significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

/// Runs `load.clients` clients, client `i` repeating `operation(i)` on a connection of its
/// own until `load.duration` has passed.
pub async fn closed_loop<F>(
    endpoint: &Endpoint,
    load: Load,
    operation: F,
) -> anyhow::Result<Outcome>
where
    F: Fn(usize) -> Box<dyn Operation>,
{
    let mut connections = Vec::with_capacity(load.clients);
    for _ in 0..load.clients {
        connections.push(Connection::open(endpoint, load.protocol).await?);
    }
    let started = Instant::now();
    let deadline = started + load.duration;
    let clients: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(client, connection)| {
            let mut operation = operation(client);
            tokio::spawn(async move {
                let mut outcome = Outcome::empty();
                while Instant::now() < deadline {
                    let began = Instant::now();
                    match operation.run(&connection).await {
                        Ok(()) => {
                            outcome.operations += 1;
                            let micros = began.elapsed().as_micros() as u64;
                            outcome.latency.saturating_record(micros.max(1));
                        }
                        Err(error) => {
                            outcome.errors += 1;
                            outcome
                                .first_error
                                .get_or_insert_with(|| format!("{error:#}"));
                        }
                    }
                }
                outcome
            })
        })
        .collect();
    let mut total = Outcome::empty();
    for client in clients {
        total.merge(client.await?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}
