//! HTTPS serving: the rustls configuration, the accept loop (HTTP/1.1 and HTTP/2) and the
//! client's certificates handed to authentication.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::authn::{ClientCa, PeerCertificates};
use crate::body;
use crate::pki::CertPair;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);
/// Request headers take at most this (Go's `http.DefaultMaxHeaderBytes`); larger ones get 431.
const MAX_HEADER_BYTES: usize = 1 << 20;
/// Concurrent HTTP/2 streams per connection (Go's default, which aggregated servers keep).
const MAX_STREAMS_PER_CONNECTION: u32 = 250;
/// What one HTTP/2 stream may send unread, and its largest frame, as kube-apiserver shrinks
/// them from Go's 1 MiB: most API bodies still fit in one frame.
const HTTP2_STREAM_BUFFER_BYTES: u32 = 256 << 10;

/// The server's TLS configuration: HTTP/2 and HTTP/1.1 with the serving certificate, asking
/// clients for a certificate from any of the client CAs. Rebuilt when a CA changes (the
/// cluster's ConfigMap moved), for the connections accepted after.
pub struct TlsConfig {
    certificates: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_cas: Vec<Arc<ClientCa>>,
    current: RwLock<Arc<ServerConfig>>,
}

impl TlsConfig {
    /// Parses the serving certificate and key and builds the first configuration, asking
    /// for certificates of `client_cas`.
    pub fn new(serving: &CertPair, client_cas: Vec<Arc<ClientCa>>) -> Result<Arc<Self>> {
        let certificates = CertificateDer::pem_slice_iter(serving.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .context("parsing the serving certificate")?;
        let key = PrivateKeyDer::from_pem_slice(serving.key_pem.as_bytes())
            .context("parsing the serving key")?;
        let current = RwLock::new(Arc::new(build(&certificates, &key, &client_cas)?));
        Ok(Arc::new(TlsConfig {
            certificates,
            key,
            client_cas,
            current,
        }))
    }

    /// Names the client CAs as they are now to the clients that connect from now on.
    pub fn reload(&self) -> Result<()> {
        let config = build(&self.certificates, &self.key, &self.client_cas)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        Ok(())
    }

    fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn build(
    certificates: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    client_cas: &[Arc<ClientCa>],
) -> Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RequestClientCertificate {
        subjects: client_cas.iter().flat_map(|ca| ca.subjects()).collect(),
        provider: provider.clone(),
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(certificates.to_vec(), key.clone_key())
        .context("loading the serving certificate")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Go's `tls.RequestClientCert`, as kube-apiserver serves: a client certificate is asked for
/// (naming the client CAs) and its key checked, but its chain is verified by the
/// authenticators, so that a client without one, or with one from an unknown CA, gets a 401
/// `Status` rather than a TLS alert.
#[derive(Debug)]
struct RequestClientCertificate {
    subjects: Vec<DistinguishedName>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for RequestClientCertificate {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.subjects
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then stops accepting and waits
/// (up to 30s) for open connections to finish their requests.
///
/// Each request carries the client's [`PeerCertificates`] (empty without one).
pub async fn serve(
    listener: TcpListener,
    config: Arc<TlsConfig>,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Timers enable hyper's HTTP/1 header read timeout against slow clients.
    builder
        .http1()
        .timer(TokioTimer::new())
        .max_buf_size(MAX_HEADER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .max_header_list_size(MAX_HEADER_BYTES as u32)
        .max_frame_size(HTTP2_STREAM_BUFFER_BYTES)
        .initial_stream_window_size(HTTP2_STREAM_BUFFER_BYTES);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Mostly running out of file descriptors: retrying at once would spin.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            },
        };
        // Responses go out as written: with Nagle's algorithm a small one can wait for the
        // client's delayed ACK (40 ms), as Go's net package also avoids by default.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, %err, "setting TCP_NODELAY failed");
        }
        let acceptor = TlsAcceptor::from(config.current());
        let app = app.clone();
        let builder = builder.clone();
        // Taken before the handshake so that shutdown also waits for connections in handshake.
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    tracing::debug!(%peer, %err, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let client = PeerCertificates(Arc::new(
                tls.get_ref()
                    .1
                    .peer_certificates()
                    .map(|chain| chain.iter().map(|c| c.clone().into_owned()).collect())
                    .unwrap_or_default(),
            ));
            let service = tower::service_fn(move |request: http::Request<Incoming>| {
                let (mut request, unread) = body::keep_unread(request);
                request.extensions_mut().insert(client.clone());
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let response = app.clone().oneshot(request);
                async move { Ok::<_, Infallible>(response.await?.map(|b| unread.release_after(b))) }
            });
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(tls),
                TowerToHyperService::new(service),
            );
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(%peer, %err, "connection closed with an error");
            }
        });
    }

    drop(listener);
    if tokio::time::timeout(SHUTDOWN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {SHUTDOWN_TIMEOUT:?}, not waiting longer");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{self, Authenticator, Credentials, Outcome};
    use crate::kubeconfig::write_kubeconfig;
    use crate::pki::{LocalPki, load_or_create_local_pki};
    use axum::Extension;
    use axum::routing::get;
    use bytes::Bytes;
    use http::Version;
    use http_body_util::{BodyExt, Empty};
    use rustls::{ClientConfig, RootCertStore};
    use std::net::SocketAddr;
    use tokio::net::TcpStream;
    use tokio::sync::oneshot;
    use tokio::task::JoinHandle;
    use tokio_rustls::TlsConnector;

    /// The protocol and who the client certificate says the client is, verified against `ca`.
    async fn whoami(
        version: Version,
        Extension(ca): Extension<Arc<ClientCa>>,
        Extension(client): Extension<PeerCertificates>,
    ) -> String {
        let headers = http::HeaderMap::new();
        let credentials = Credentials {
            certificates: &client.0,
            headers: &headers,
        };
        let user = match authn::ClientCertificate::new(ca)
            .authenticate(&credentials)
            .await
        {
            Outcome::Authenticated(user) => format!("{} {}", user.name, user.groups.join(",")),
            Outcome::NotApplicable => "anonymous".to_owned(),
            Outcome::Rejected(_) => "rejected".to_owned(),
        };
        format!("{version:?} {user}")
    }

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "done"
    }

    struct Server {
        addr: SocketAddr,
        stop: oneshot::Sender<()>,
        task: JoinHandle<Result<()>>,
    }

    async fn start(pki: &LocalPki) -> Server {
        let ca = Arc::new(ClientCa::from_pem(&pki.ca.cert_pem).unwrap());
        let config = TlsConfig::new(&pki.serving, vec![ca.clone()]).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/whoami", get(whoami))
            .route("/slow", get(slow))
            .layer(Extension(ca));
        let (stop, stopped) = oneshot::channel();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, config, app, shutdown));
        Server { addr, stop, task }
    }

    enum Sender {
        Http1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
        Http2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
    }

    impl Sender {
        async fn get(&mut self, path: &str) -> String {
            let request = http::Request::get(format!("https://localhost{path}"))
                .header(http::header::HOST, "localhost")
                .body(Empty::new())
                .unwrap();
            let response = match self {
                Sender::Http1(sender) => sender.send_request(request).await,
                Sender::Http2(sender) => sender.send_request(request).await,
            }
            .unwrap();
            assert_eq!(response.status(), http::StatusCode::OK);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8(body.to_vec()).unwrap()
        }
    }

    /// Opens a TLS connection with ALPN `alpn`, optionally presenting `client`.
    async fn connect(
        addr: SocketAddr,
        pki: &LocalPki,
        client: Option<&CertPair>,
        alpn: &[u8],
    ) -> Sender {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.ca.cert_pem.as_bytes()).unwrap())
            .unwrap();
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots);
        let mut config = match client {
            Some(client) => builder
                .with_client_auth_cert(
                    CertificateDer::pem_slice_iter(client.cert_pem.as_bytes())
                        .collect::<Result<_, _>>()
                        .unwrap(),
                    PrivateKeyDer::from_pem_slice(client.key_pem.as_bytes()).unwrap(),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![alpn.to_vec()];
        let tcp = TcpStream::connect(addr).await.unwrap();
        let tls = TlsConnector::from(Arc::new(config))
            .connect("localhost".try_into().unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
        let io = TokioIo::new(tls);
        if alpn == b"h2" {
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .unwrap();
            tokio::spawn(connection);
            Sender::Http2(sender)
        } else {
            let (sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(connection);
            Sender::Http1(sender)
        }
    }

    #[tokio::test]
    async fn serves_http2_and_http1_with_and_without_client_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let pki = load_or_create_local_pki(dir.path()).unwrap();
        let server = start(&pki).await;

        let mut admin_h2 = connect(server.addr, &pki, Some(&pki.admin), b"h2").await;
        assert_eq!(
            admin_h2.get("/whoami").await,
            "HTTP/2.0 admin system:masters"
        );
        let mut anonymous_h1 = connect(server.addr, &pki, None, b"http/1.1").await;
        assert_eq!(anonymous_h1.get("/whoami").await, "HTTP/1.1 anonymous");
        let mut admin_h1 = connect(server.addr, &pki, Some(&pki.admin), b"http/1.1").await;
        assert_eq!(
            admin_h1.get("/whoami").await,
            "HTTP/1.1 admin system:masters"
        );
        let mut anonymous_h2 = connect(server.addr, &pki, None, b"h2").await;
        assert_eq!(anonymous_h2.get("/whoami").await, "HTTP/2.0 anonymous");

        // A garbage handshake does not disturb anyone else.
        let mut garbage = TcpStream::connect(server.addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut garbage, b"GET / HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(
            admin_h2.get("/whoami").await,
            "HTTP/2.0 admin system:masters"
        );

        // kube's client, configured from the kubeconfig as kubectl would be.
        let kubeconfig = dir.path().join("kubeconfig");
        let url = format!("https://127.0.0.1:{}", server.addr.port());
        write_kubeconfig(&kubeconfig, &url, &pki.ca.cert_pem, &pki.admin, "local").unwrap();
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&kubeconfig).unwrap(),
            &Default::default(),
        )
        .await
        .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let whoami = client
            .request_text(http::Request::get("/whoami").body(Vec::new()).unwrap())
            .await
            .unwrap();
        assert_eq!(whoami, "HTTP/1.1 admin system:masters");

        // Graceful shutdown lets the in-flight request finish and closes idle connections.
        let in_flight = tokio::spawn(async move { admin_h2.get("/slow").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.stop.send(()).unwrap();
        assert_eq!(in_flight.await.unwrap(), "done");
        tokio::time::timeout(Duration::from_secs(5), server.task)
            .await
            .expect("serve returns after shutdown")
            .unwrap()
            .unwrap();
        assert!(TcpStream::connect(server.addr).await.is_err());
    }

    #[tokio::test]
    async fn certificates_are_judged_after_the_handshake() {
        let dir = tempfile::tempdir().unwrap();
        let pki = load_or_create_local_pki(&dir.path().join("a")).unwrap();
        let other = load_or_create_local_pki(&dir.path().join("b")).unwrap();
        let server = start(&pki).await;
        // As kube-apiserver: a certificate from an unknown CA completes the handshake and is
        // refused by authentication, where the client can be told why in a Status.
        let mut stranger = connect(server.addr, &pki, Some(&other.admin), b"h2").await;
        assert_eq!(stranger.get("/whoami").await, "HTTP/2.0 rejected");
        server.stop.send(()).unwrap();
        server.task.await.unwrap().unwrap();
    }
}
