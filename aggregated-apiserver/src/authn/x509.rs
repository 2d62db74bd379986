//! Client certificates: a chain verified against a CA that can change while serving (the
//! cluster's `client-ca-file` follows its ConfigMap), the subject's common name as the user
//! and its organizations as the groups, as Kubernetes' x509 authenticator reads them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use rustls::DistinguishedName;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use sha2::{Digest, Sha256};

use super::{Authenticator, Credentials, Outcome, UserInfo};

/// A CA bundle that verifies client certificate chains; empty until one is set.
#[derive(Default)]
pub struct ClientCa {
    current: RwLock<Option<Arc<LoadedCa>>>,
}

/// How long a verified chain is taken as verified without checking its signatures again (at
/// most: never past the expiry of a certificate in it). Verifying costs an ECDSA or RSA
/// signature check per certificate, on every request of a connection.
const VERIFIED_FOR: Duration = Duration::from_secs(60);
/// Chains remembered as verified, at most; past that the memory starts over.
const VERIFIED_CHAINS: usize = 4096;

struct LoadedCa {
    pem: String,
    verifier: Arc<dyn ClientCertVerifier>,
    /// Chains this CA verified lately, by digest, each with when it must be checked again.
    verified: Mutex<HashMap<[u8; 32], u64>>,
}

impl ClientCa {
    /// A CA with the bundle of PEM certificates `pem`.
    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        let ca = ClientCa::default();
        ca.set(Some(pem))?;
        Ok(ca)
    }

    /// Replaces the bundle (`None` empties it); returns whether it changed.
    pub fn set(&self, pem: Option<&str>) -> anyhow::Result<bool> {
        if self.pem().as_deref() == pem {
            return Ok(false);
        }
        let loaded = pem.map(load).transpose()?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = loaded.map(Arc::new);
        Ok(true)
    }

    /// The current bundle as PEM; `None` when empty.
    pub fn pem(&self) -> Option<String> {
        self.loaded().map(|ca| ca.pem.clone())
    }

    /// The CAs' subjects, which a TLS server names to clients choosing a certificate.
    pub fn subjects(&self) -> Vec<DistinguishedName> {
        self.loaded()
            .map(|ca| ca.verifier.root_hint_subjects().to_vec())
            .unwrap_or_default()
    }

    fn loaded(&self) -> Option<Arc<LoadedCa>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `None` when no CA is set; else whether `chain` (leaf first) verifies for client
    /// authentication, in the words of the failure.
    pub fn verify(&self, chain: &[CertificateDer<'static>]) -> Option<Result<(), String>> {
        let ca = self.loaded()?;
        let (leaf, intermediates) = chain.split_first()?;
        let now = UnixTime::now();
        let digest = chain_digest(chain);
        let mut verified = ca.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified
            .get(&digest)
            .is_some_and(|&until| now.as_secs() < until)
        {
            return Some(Ok(()));
        }
        drop(verified);
        if let Err(e) = ca.verifier.verify_client_cert(leaf, intermediates, now) {
            return Some(Err(format!(
                "verifying certificate {} failed: {e}",
                describe(leaf)
            )));
        }
        let until = (now.as_secs() + VERIFIED_FOR.as_secs()).min(expiry(chain));
        verified = ca.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_CHAINS {
            verified.clear();
        }
        verified.insert(digest, until);
        Some(Ok(()))
    }
}

fn chain_digest(chain: &[CertificateDer<'_>]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for certificate in chain {
        hash.update((certificate.len() as u64).to_be_bytes());
        hash.update(certificate);
    }
    hash.finalize().into()
}

/// When the first certificate of `chain` expires, in seconds since the Unix epoch.
fn expiry(chain: &[CertificateDer<'_>]) -> u64 {
    let not_after = |der: &CertificateDer<'_>| {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        u64::try_from(cert.validity().not_after.timestamp()).ok()
    };
    // An unparseable certificate would not have verified; 0 only keeps nothing.
    chain
        .iter()
        .map(|c| not_after(c).unwrap_or(0))
        .min()
        .unwrap_or(0)
}

fn load(pem: &str) -> anyhow::Result<LoadedCa> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots
            .add(cert.context("parsing a CA certificate")?)
            .context("adding a CA certificate")?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .context("no usable CA certificate in the bundle")?;
    Ok(LoadedCa {
        pem: pem.to_owned(),
        verifier,
        verified: Mutex::default(),
    })
}

/// The subject's common name and organizations.
pub(super) fn subject(der: &[u8]) -> Option<(String, Vec<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let common_name = subject.iter_common_name().next()?.as_str().ok()?.to_owned();
    let organizations = subject
        .iter_organization()
        .filter_map(|org| org.as_str().ok())
        .map(str::to_owned)
        .collect();
    Some((common_name, organizations))
}

fn describe(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => format!("\"{}\"", cert.subject()),
        Err(_) => "(unparseable)".into(),
    }
}

/// Authenticates requests by client certificates from one CA.
pub struct ClientCertificate {
    ca: Arc<ClientCa>,
}

impl ClientCertificate {
    /// Authenticates chains that `ca` verifies, as it is when each request comes.
    pub fn new(ca: Arc<ClientCa>) -> Self {
        ClientCertificate { ca }
    }
}

#[async_trait]
impl Authenticator for ClientCertificate {
    async fn authenticate(&self, credentials: &Credentials<'_>) -> Outcome {
        match self.ca.verify(credentials.certificates) {
            None => Outcome::NotApplicable,
            Some(Err(error)) => Outcome::Rejected(error),
            Some(Ok(())) => match subject(&credentials.certificates[0]) {
                // Kubernetes does not authenticate a certificate without a common name.
                Some((name, _)) if name.is_empty() => Outcome::NotApplicable,
                None => Outcome::NotApplicable,
                Some((name, groups)) => Outcome::Authenticated(UserInfo {
                    name,
                    groups,
                    ..UserInfo::default()
                }),
            },
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::pki::{issue_client_certificate, load_or_create_local_pki};

    /// The certificates of a PEM bundle, as a TLS handshake hands them over.
    pub(in crate::authn) fn chain(pem: &str) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[tokio::test]
    async fn certificates_verify_against_the_current_ca_only() {
        let dir = tempfile::tempdir().unwrap();
        let ours = load_or_create_local_pki(&dir.path().join("a")).unwrap();
        let theirs = load_or_create_local_pki(&dir.path().join("b")).unwrap();
        let ca = Arc::new(ClientCa::default());
        let authenticator = ClientCertificate::new(ca.clone());
        let headers = http::HeaderMap::new();
        let admin = chain(&ours.admin.cert_pem);
        let credentials = Credentials {
            certificates: &admin,
            headers: &headers,
        };
        assert_eq!(
            authenticator.authenticate(&credentials).await,
            Outcome::NotApplicable
        );

        assert!(ca.set(Some(&ours.ca.cert_pem)).unwrap());
        assert!(!ca.set(Some(&ours.ca.cert_pem)).unwrap());
        let Outcome::Authenticated(user) = authenticator.authenticate(&credentials).await else {
            panic!("the admin certificate is not accepted");
        };
        assert_eq!(user.name, "admin");
        assert_eq!(user.groups, ["system:masters"]);

        let bob = issue_client_certificate(&theirs.ca, "bob", Some("devs")).unwrap();
        let bob = chain(&bob.cert_pem);
        let foreign = Credentials {
            certificates: &bob,
            headers: &headers,
        };
        let Outcome::Rejected(error) = authenticator.authenticate(&foreign).await else {
            panic!("a certificate of another CA is accepted");
        };
        assert!(error.contains("CN=bob"), "{error}");

        ca.set(Some(&theirs.ca.cert_pem)).unwrap();
        assert!(matches!(
            authenticator.authenticate(&foreign).await,
            Outcome::Authenticated(UserInfo { name, .. }) if name == "bob"
        ));
        // Verified a moment ago, but by the CA replaced since.
        assert!(matches!(
            authenticator.authenticate(&credentials).await,
            Outcome::Rejected(_)
        ));
    }
}
