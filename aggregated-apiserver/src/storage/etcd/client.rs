//! A small etcd v3 gRPC client: the KV `Range`, `Txn` and `Compact` calls and `Watch` streams,
//! on tonic channels to a list of endpoints.
//!
//! Every endpoint has one lazily connected channel; requests go to the current endpoint, and a
//! failure moves the current one to the next. Reads are retried (on the next endpoint, after a
//! short backoff) for a bounded time. Writes are not idempotent, so a write is retried only
//! when it surely never reached a server; any other failure is the caller's to report.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::channel::mpsc;
use http::uri::PathAndQuery;
use tokio::time::{Instant, sleep, timeout};
use tonic::client::Grpc;
use tonic::codec::Streaming;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Request, Status};
use tonic_prost::ProstCodec;

use super::EtcdConfig;
use super::proto::{
    CompactionRequest, CompactionResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
    WatchCreateRequest, WatchRequest, WatchResponse, watch_request,
};

/// How long reads are retried before their last error is returned.
pub const RETRY_FOR: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How long one attempt of a read may take (a linearizable read waits for the leader).
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write may take; past it, whether it applied is unknown.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening a watch stream may take.
const WATCH_OPEN_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// etcd sends responses of any size (up to its `--max-request-bytes` for values, but a list
/// can be much larger); tonic's default limit is 4 MiB.
const MAX_MESSAGE: usize = i32::MAX as usize;

pub struct Client {
    members: Vec<Member>,
    /// Index of the endpoint requests go to (modulo the number of endpoints).
    current: AtomicUsize,
}

struct Member {
    url: String,
    channel: Channel,
}

/// A `Watch` stream with its one watch.
pub struct WatchStream {
    member: usize,
    /// Keeps the request side open: etcd ends the stream when the client half-closes it.
    _requests: mpsc::UnboundedSender<WatchRequest>,
    responses: Streaming<WatchResponse>,
}

impl WatchStream {
    /// The next response; `None` when the server ended the stream.
    pub async fn message(&mut self) -> Result<Option<WatchResponse>, Status> {
        self.responses.message().await
    }

    /// The endpoint the stream is on.
    pub fn member(&self) -> usize {
        self.member
    }
}

#[derive(Clone, Copy)]
enum Retry {
    /// Idempotent: retry whatever may go better on another endpoint or a bit later.
    Read,
    /// Retry only when the request surely was not applied.
    Write,
}

impl Client {
    pub fn new(config: &EtcdConfig) -> Result<Client, String> {
        if config.endpoints.is_empty() {
            return Err("no etcd endpoints given".into());
        }
        let tls = if config
            .endpoints
            .iter()
            .any(|url| url.starts_with("https://"))
        {
            Some(tls_config(config)?)
        } else {
            None
        };
        let members = config
            .endpoints
            .iter()
            .map(|url| {
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    return Err(format!(
                        "etcd endpoint {url}: expected http://host:port or https://host:port"
                    ));
                }
                let invalid = |error: tonic::transport::Error| {
                    format!("etcd endpoint {url}: {}", chain(&error))
                };
                let mut endpoint = Endpoint::from_shared(url.clone())
                    .map_err(invalid)?
                    .connect_timeout(CONNECT_TIMEOUT)
                    .tcp_nodelay(true)
                    // Finds connections that died silently (etcd accepts a ping every 5 s
                    // while a stream is open).
                    .http2_keep_alive_interval(Duration::from_secs(10))
                    .keep_alive_timeout(Duration::from_secs(5))
                    .keep_alive_while_idle(false);
                if let Some(tls) = &tls
                    && url.starts_with("https://")
                {
                    endpoint = endpoint.tls_config(tls.clone()).map_err(invalid)?;
                }
                Ok(Member {
                    url: url.clone(),
                    channel: endpoint.connect_lazy(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Client {
            members,
            current: AtomicUsize::new(0),
        })
    }

    /// The endpoints, comma-separated.
    pub fn endpoints(&self) -> String {
        let urls: Vec<_> = self.members.iter().map(|m| m.url.as_str()).collect();
        urls.join(",")
    }

    pub fn url(&self, member: usize) -> &str {
        &self.members[member].url
    }

    /// A range read, retried until `deadline` (default: [`RETRY_FOR`] from now).
    pub async fn range(
        &self,
        request: RangeRequest,
        deadline: Option<Instant>,
    ) -> Result<RangeResponse, Status> {
        let deadline = deadline.unwrap_or_else(|| Instant::now() + RETRY_FOR);
        self.call("/etcdserverpb.KV/Range", request, Retry::Read, deadline)
            .await
    }

    /// A transaction. An error means it may or may not have been applied, unless etcd said
    /// why it was not.
    pub async fn txn(&self, request: TxnRequest) -> Result<TxnResponse, Status> {
        let deadline = Instant::now() + RETRY_FOR;
        self.call("/etcdserverpb.KV/Txn", request, Retry::Write, deadline)
            .await
    }

    /// A transaction of reads only, retried like a read.
    pub async fn read_txn(&self, request: TxnRequest) -> Result<TxnResponse, Status> {
        let deadline = Instant::now() + RETRY_FOR;
        self.call("/etcdserverpb.KV/Txn", request, Retry::Read, deadline)
            .await
    }

    /// Compaction is retried like a read: compacting twice only makes etcd say that the
    /// revision is already compacted.
    pub async fn compact(&self, request: CompactionRequest) -> Result<CompactionResponse, Status> {
        let deadline = Instant::now() + RETRY_FOR;
        self.call("/etcdserverpb.KV/Compact", request, Retry::Read, deadline)
            .await
    }

    /// Opens a `Watch` stream with one watch on the current endpoint (a single attempt; on
    /// failure the current endpoint moves on).
    pub async fn watch(&self, create: WatchCreateRequest) -> Result<WatchStream, Status> {
        let member = self.current();
        let (requests, body) = mpsc::unbounded();
        requests
            .unbounded_send(WatchRequest {
                request_union: Some(watch_request::RequestUnion::CreateRequest(create)),
            })
            .expect("the receiver is alive");
        let mut request = Request::new(body);
        require_leader(&mut request);
        let mut grpc = self.grpc(member);
        let open = async {
            grpc.ready().await.map_err(transport_status)?;
            let path = PathAndQuery::from_static("/etcdserverpb.Watch/Watch");
            grpc.streaming(request, path, ProstCodec::default()).await
        };
        let opened = match timeout(WATCH_OPEN_TIMEOUT, open).await {
            Ok(opened) => opened,
            Err(_) => Err(Status::deadline_exceeded(format!(
                "opening a watch took more than {WATCH_OPEN_TIMEOUT:?}"
            ))),
        };
        match opened {
            Ok(response) => Ok(WatchStream {
                member,
                _requests: requests,
                responses: response.into_inner(),
            }),
            Err(status) => {
                self.failed(member);
                Err(status)
            }
        }
    }

    /// Moves requests off `member` (if they still go there) to the next endpoint.
    pub fn failed(&self, member: usize) {
        let next = (member + 1) % self.members.len();
        let _ = self
            .current
            .compare_exchange(member, next, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed) % self.members.len()
    }

    fn grpc(&self, member: usize) -> Grpc<Channel> {
        Grpc::new(self.members[member].channel.clone()).max_decoding_message_size(MAX_MESSAGE)
    }

    async fn call<Req, Resp>(
        &self,
        path: &'static str,
        request: Req,
        retry: Retry,
        deadline: Instant,
    ) -> Result<Resp, Status>
    where
        Req: prost::Message + Clone + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let member = self.current();
            let attempt = match retry {
                Retry::Read => READ_TIMEOUT,
                Retry::Write => WRITE_TIMEOUT,
            };
            let mut grpc = self.grpc(member);
            let mut grpc_request = Request::new(request.clone());
            grpc_request.set_timeout(attempt);
            require_leader(&mut grpc_request);
            let result = async {
                grpc.ready().await.map_err(transport_status)?;
                let path = PathAndQuery::from_static(path);
                grpc.unary(grpc_request, path, ProstCodec::default()).await
            };
            let status = match result.await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) => status,
            };
            let again = match retry {
                Retry::Read => retriable(&status),
                Retry::Write => never_applied(&status),
            };
            if !again || Instant::now() + backoff > deadline {
                return Err(status);
            }
            tracing::debug!(
                endpoint = self.members[member].url,
                error = chain(&status),
                "etcd request failed; retrying on the next endpoint"
            );
            self.failed(member);
            sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

fn tls_config(config: &EtcdConfig) -> Result<ClientTlsConfig, String> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|error| format!("reading {}: {error}", path.display()))
    };
    let mut tls = ClientTlsConfig::new();
    tls = match &config.ca_file {
        Some(ca) => tls.ca_certificate(Certificate::from_pem(read(ca)?)),
        None => tls.with_native_roots(),
    };
    match (&config.cert_file, &config.key_file) {
        (Some(cert), Some(key)) => Ok(tls.identity(Identity::from_pem(read(cert)?, read(key)?))),
        (None, None) => Ok(tls),
        _ => Err("an etcd client certificate needs both --etcd-certfile and --etcd-keyfile".into()),
    }
}

/// Asks etcd to refuse the request at once when the member has no leader (instead of waiting
/// for one), and to end a watch stream when its member loses the leader; either is then
/// retried on another endpoint.
fn require_leader<T>(request: &mut Request<T>) {
    request
        .metadata_mut()
        .insert("hasleader", MetadataValue::from_static("true"));
}

fn transport_status(error: tonic::transport::Error) -> Status {
    Status::from_error(Box::new(error))
}

/// Whether a failed read may succeed on another endpoint or a bit later: transport failures,
/// timeouts, and etcd's "no leader", "leader changed", "request timed out" (all
/// `Unavailable`); not etcd's answers about the request itself (compacted or future
/// revisions, invalid or too large requests, permissions).
fn retriable(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable
            | Code::Unknown
            | Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::Internal
    )
}

/// Whether a failed write surely was not applied: it never left this process (no connection
/// could be made), or etcd refused it before proposing it to raft.
pub fn never_applied(status: &Status) -> bool {
    let mut source = status.source();
    while let Some(error) = source {
        if error.is::<tonic::ConnectError>() {
            return true;
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = error.source();
    }
    // The first is etcd's interceptor for requests that require a leader, before the request
    // is handled; the second is raft refusing a proposal while it has no leader.
    (status.code() == Code::Unavailable && status.message() == "etcdserver: no leader")
        || status.message() == "raft proposal dropped"
}

/// Why TLS with the etcd server at `url` fails, if it fails for a TLS reason (a certificate
/// refused or not trusted): connects with the configured CA and client certificate, and waits
/// briefly for the server to refuse the handshake. `None` when it does not refuse (or there is
/// no CA file to check the server with).
///
/// Needed because an HTTP/2 connection that a server closes for a refused client certificate
/// often fails on writing ("broken pipe") before the TLS alert that says why is read.
pub async fn tls_problem(config: &EtcdConfig, url: &str) -> Option<String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::AsyncReadExt;

    let uri: http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("https") {
        return None;
    }
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(host.to_owned()).ok()?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(config.ca_file.as_ref()?).ok()? {
        roots.add(cert.ok()?).ok()?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots);
    let mut tls = match (&config.cert_file, &config.key_file) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .ok()?
                .collect::<Result<Vec<_>, _>>()
                .ok()?;
            let key = PrivateKeyDer::from_pem_file(key).ok()?;
            builder.with_client_auth_cert(chain, key).ok()?
        }
        _ => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![b"h2".to_vec()];

    let probe = async {
        let port = uri.port_u16().unwrap_or(443);
        let tcp = tokio::net::TcpStream::connect((host, port)).await.ok()?;
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls));
        let mut stream = match connector.connect(server_name, tcp).await {
            Ok(stream) => stream,
            Err(error) => return tls_error(&error),
        };
        // With TLS 1.3 the server checks the client certificate after the client has
        // finished its handshake, and answers with an alert. (etcd sends nothing else before
        // the client's first request.)
        let mut byte = [0; 1];
        match timeout(Duration::from_secs(1), stream.read(&mut byte)).await {
            Ok(Err(error)) => tls_error(&error),
            _ => None,
        }
    };
    timeout(Duration::from_secs(3), probe).await.ok()?
}

fn tls_error(error: &std::io::Error) -> Option<String> {
    let inner = error.get_ref()?;
    inner.is::<rustls::Error>().then(|| inner.to_string())
}

/// An error and its sources, as one line (each cause once).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = match error.downcast_ref::<Status>() {
        Some(status) if !status.message().is_empty() => status.message().to_owned(),
        _ => error.to_string(),
    };
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}
