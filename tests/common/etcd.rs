//! Real etcd servers for tests: `EtcdCluster::start(n)` runs `n` members of a fresh cluster
//! (the `etcd` found on the `PATH`) on free 127.0.0.1 ports, each with its data and log in the
//! cluster's own temporary directory; dropping the cluster kills them and removes it all.
//!
//! Self-contained (std, tempfile and rcgen only) so that any test binary, and the storage
//! backend's unit tests, can include it with `#[path]`.

#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long a member may take to become healthy before the test fails.
const STARTUP: Duration = Duration::from_secs(30);
/// How often a cluster is started again on fresh ports when one of them was taken meanwhile.
const ATTEMPTS: usize = 3;

pub struct EtcdCluster {
    members: Vec<Member>,
    tls: Option<TlsFiles>,
    /// Data directories, logs and certificates; removed after the members are killed.
    dir: tempfile::TempDir,
}

struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    metrics_port: u16,
    process: Option<Child>,
}

struct TlsFiles {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

impl EtcdCluster {
    /// A cluster of `members` members (1 or 3, usually), once every one of them is healthy.
    pub fn start(members: usize) -> EtcdCluster {
        Self::launch(members, false)
    }

    /// One member serving clients on https only and requiring a client certificate from the
    /// cluster's CA (see [`tls_files`](Self::tls_files)).
    pub fn start_tls() -> EtcdCluster {
        Self::launch(1, true)
    }

    /// The client URLs of all members, comma-separated (for `--etcd-servers`).
    pub fn endpoints(&self) -> String {
        let urls: Vec<_> = (0..self.members.len()).map(|i| self.endpoint(i)).collect();
        urls.join(",")
    }

    /// The client URL of one member.
    pub fn endpoint(&self, member: usize) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.members[member].client_port)
    }

    /// `(CA certificate, client certificate, client key)` for a cluster from
    /// [`start_tls`](Self::start_tls).
    pub fn tls_files(&self) -> Option<(PathBuf, PathBuf, PathBuf)> {
        self.tls.as_ref().map(|tls| {
            (
                tls.ca.clone(),
                tls.client_cert.clone(),
                tls.client_key.clone(),
            )
        })
    }

    /// Kills `member` with SIGKILL (no clean shutdown); a no-op if it is not running.
    pub fn kill(&mut self, member: usize) {
        if let Some(mut process) = self.members[member].process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts `member` again (killing it first if it runs) on its data directory and ports,
    /// and waits until every running member is healthy.
    pub fn restart(&mut self, member: usize) {
        self.kill(member);
        self.spawn(member);
        if let Err(error) = self.wait_healthy() {
            panic!("{error}");
        }
    }

    /// The member that is the raft leader, as the running members' metrics say.
    pub fn leader(&self) -> Option<usize> {
        (0..self.members.len()).find(|&member| {
            let m = &self.members[member];
            m.process.is_some()
                && http_get(m.metrics_port, "/metrics").is_some_and(|metrics| {
                    metrics
                        .lines()
                        .any(|line| line == "etcd_server_is_leader 1")
                })
        })
    }

    fn launch(members: usize, tls: bool) -> EtcdCluster {
        assert!(members > 0, "a cluster needs a member");
        let mut last_error = String::new();
        for _ in 0..ATTEMPTS {
            let mut cluster = Self::create(members, tls);
            for member in 0..members {
                cluster.spawn(member);
            }
            match cluster.wait_healthy() {
                Ok(()) => return cluster,
                // Another process took one of the ports between choosing and binding it.
                Err(error) if error.contains("address already in use") => last_error = error,
                Err(error) => panic!("{error}"),
            }
        }
        panic!("{last_error}");
    }

    fn create(members: usize, tls: bool) -> EtcdCluster {
        let dir = tempfile::Builder::new()
            .prefix("etcd-test-")
            .tempdir()
            .expect("creating a temporary directory for etcd");
        let mut ports = free_ports(3 * members).into_iter();
        let mut next = || ports.next().unwrap();
        let members = (0..members)
            .map(|i| Member {
                name: format!("m{i}"),
                client_port: next(),
                peer_port: next(),
                metrics_port: next(),
                process: None,
            })
            .collect();
        let tls = tls.then(|| write_certificates(dir.path()));
        EtcdCluster { members, tls, dir }
    }

    fn spawn(&mut self, member: usize) {
        let dir = self.dir.path();
        let initial_cluster: Vec<_> = self
            .members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect();
        let client_url = self.endpoint(member);
        let m = &self.members[member];
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path(dir, &m.name))
            .expect("creating the etcd log");
        let mut command = Command::new("etcd");
        command
            .arg("--name")
            .arg(&m.name)
            .arg("--data-dir")
            .arg(dir.join(format!("{}.etcd", m.name)))
            .args(["--listen-client-urls", &client_url])
            .args(["--advertise-client-urls", &client_url])
            .arg("--listen-peer-urls")
            .arg(format!("http://127.0.0.1:{}", m.peer_port))
            .arg("--initial-advertise-peer-urls")
            .arg(format!("http://127.0.0.1:{}", m.peer_port))
            .args(["--initial-cluster", &initial_cluster.join(",")])
            .args(["--initial-cluster-state", "new"])
            .arg("--initial-cluster-token")
            .arg(dir.file_name().expect("a temporary directory has a name"))
            .arg("--listen-metrics-urls")
            .arg(format!("http://127.0.0.1:{}", m.metrics_port))
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            // As kubeadm sets it (5s), shorter: watches report progress between events.
            .args(["--experimental-watch-progress-notify-interval", "1s"])
            .args(["--logger", "zap", "--log-outputs", "stderr"])
            .args(["--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cloning the etcd log handle"))
            .stderr(log);
        if let Some(tls) = &self.tls {
            command
                .arg("--cert-file")
                .arg(&tls.server_cert)
                .arg("--key-file")
                .arg(&tls.server_key)
                .arg("--trusted-ca-file")
                .arg(&tls.ca)
                .arg("--client-cert-auth");
        }
        let process = command.spawn().unwrap_or_else(|error| {
            panic!("starting etcd (is etcd on the PATH? Debian: apt install etcd-server): {error}")
        });
        self.members[member].process = Some(process);
    }

    /// Waits until every running member answers `/health` with `"health":"true"`; the error
    /// carries the tail of the log of the member that did not.
    fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        for member in 0..self.members.len() {
            loop {
                let m = &mut self.members[member];
                let Some(process) = &mut m.process else { break };
                if let Ok(Some(status)) = process.try_wait() {
                    m.process = None;
                    return Err(self.failure(member, &format!("exited with {status}")));
                }
                if healthy(m.metrics_port) {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(self.failure(member, &format!("not healthy after {STARTUP:?}")));
                }
                sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    fn failure(&self, member: usize, what: &str) -> String {
        let name = &self.members[member].name;
        let log = fs::read_to_string(log_path(self.dir.path(), name)).unwrap_or_default();
        let lines: Vec<_> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!("etcd member {name} {what}; the end of its log:\n{tail}")
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for member in 0..self.members.len() {
            self.kill(member);
        }
    }
}

fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.log"))
}

/// `count` distinct ports that were free a moment ago.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a free port"))
        .collect();
    listeners
        .iter()
        .map(|listener| listener.local_addr().unwrap().port())
        .collect()
}

/// Whether etcd's `/health` on `port` (plain HTTP) says it is healthy.
fn healthy(port: u16) -> bool {
    http_get(port, "/health").is_some_and(|body| body.contains(r#""health":"true""#))
}

/// The body of a 200 response to `GET path` on 127.0.0.1:`port`, over plain HTTP/1.1.
fn http_get(port: u16, path: &str) -> Option<String> {
    let get = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    };
    let response = get().ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, as PEM
/// files in `dir`.
fn write_certificates(dir: &Path) -> TlsFiles {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };

    let write = |name: &str, pem: &str| {
        let path = dir.join(name);
        fs::write(&path, pem).expect("writing a test certificate");
        path
    };
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "etcd test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();

    let leaf = |name: &str, sans: &[&str], usages: Vec<ExtendedKeyUsagePurpose>| {
        let sans: Vec<String> = sans.iter().map(|san| san.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = usages;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        (
            write(&format!("{name}.crt"), &cert.pem()),
            write(&format!("{name}.key"), &key.serialize_pem()),
        )
    };
    // etcd also dials itself (its gRPC gateway) with the server certificate.
    let (server_cert, server_key) = leaf(
        "server",
        &["127.0.0.1", "localhost"],
        vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
    );
    let (client_cert, client_key) = leaf("client", &[], vec![ExtendedKeyUsagePurpose::ClientAuth]);
    TlsFiles {
        ca: write("ca.crt", &ca.pem()),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}
