//! Certificates: kube-apiserver style self-signed serving certificates (`--cert-dir`) and a
//! small local PKI (CA, serving and admin client certificates) for development setups.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use x509_parser::time::ASN1Time;

const HOUR: Duration = Duration::from_secs(60 * 60);
const CA_VALIDITY: Duration = HOUR.saturating_mul(24 * 365 * 10);
const LEAF_VALIDITY: Duration = HOUR.saturating_mul(24 * 365);
const CA_COMMON_NAME: &str = "foo-apiserver-local-ca";

/// A PEM encoded certificate (chain) and its PEM encoded private key.
#[derive(Clone, PartialEq, Eq)]
pub struct CertPair {
    /// The PEM certificate, or the chain with the leaf first.
    pub cert_pem: String,
    /// The PEM private key (elided from `Debug` output).
    pub key_pem: String,
}

impl fmt::Debug for CertPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertPair")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[elided]")
            .finish()
    }
}

impl CertPair {
    /// Loads `<name>.crt` and `<name>.key` from `dir`, or `None` unless both exist.
    fn load(dir: &Path, name: &str) -> Result<Option<Self>> {
        let cert_pem = read_if_exists(&dir.join(format!("{name}.crt")))?;
        let key_pem = read_if_exists(&dir.join(format!("{name}.key")))?;
        Ok(cert_pem
            .zip(key_pem)
            .map(|(cert_pem, key_pem)| Self { cert_pem, key_pem }))
    }

    fn store(&self, dir: &Path, name: &str) -> Result<()> {
        write_file_atomic(
            &dir.join(format!("{name}.crt")),
            self.cert_pem.as_bytes(),
            0o644,
        )?;
        write_file_atomic(
            &dir.join(format!("{name}.key")),
            self.key_pem.as_bytes(),
            0o600,
        )
    }
}

/// Returns the serving certificate in `cert_dir` (`apiserver.crt`, `apiserver.key`), creating a
/// self-signed one for `hosts` (DNS names or IP addresses), `localhost` and `127.0.0.1` if it
/// does not exist yet, like kube-apiserver's `--cert-dir`.
pub fn self_signed_serving(cert_dir: &Path, hosts: &[String]) -> Result<CertPair> {
    if let Some(pair) = CertPair::load(cert_dir, "apiserver")? {
        return Ok(pair);
    }
    let mut sans = hosts.to_vec();
    for default in ["localhost", "127.0.0.1"] {
        if !sans.iter().any(|host| host == default) {
            sans.push(default.to_owned());
        }
    }
    let params = leaf_params("foo-apiserver", sans, ExtendedKeyUsagePurpose::ServerAuth)?;
    let key = KeyPair::generate()?;
    let pair = CertPair {
        cert_pem: params.self_signed(&key)?.pem(),
        key_pem: key.serialize_pem(),
    };
    pair.store(cert_dir, "apiserver")?;
    Ok(pair)
}

/// A local certificate authority with a serving certificate and an admin client certificate
/// issued by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPki {
    /// The local CA, which issued the other two.
    pub ca: CertPair,
    /// The serving certificate, for `localhost`, `127.0.0.1` and `::1`.
    pub serving: CertPair,
    /// The client certificate of user `admin` in group `system:masters`.
    pub admin: CertPair,
}

/// Loads the local PKI from `dir` (`ca`, `serving` and `admin` `.crt`/`.key` files), creating
/// whatever is missing. The serving certificate is valid for `localhost`, `127.0.0.1` and `::1`;
/// the admin certificate authenticates as user `admin` in group `system:masters`.
pub fn load_or_create_local_pki(dir: &Path) -> Result<LocalPki> {
    // Replicas started together on one data directory must all end up with the same CA.
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let lock = fs::File::create(dir.join(".lock"))?;
    lock.lock()
        .with_context(|| format!("locking {}", dir.display()))?;
    let (ca, ca_created) = match CertPair::load(dir, "ca")? {
        Some(ca) => (ca, false),
        None => {
            let ca = new_ca()?;
            ca.store(dir, "ca")?;
            (ca, true)
        }
    };
    let issuer = issuer(&ca)?;
    let leaf = |name: &str, params: CertificateParams| -> Result<CertPair> {
        // Leaves of a previous CA would not verify against a new one.
        if !ca_created && let Some(pair) = CertPair::load(dir, name)? {
            return Ok(pair);
        }
        let key = KeyPair::generate()?;
        let pair = CertPair {
            cert_pem: params.signed_by(&key, &issuer)?.pem(),
            key_pem: key.serialize_pem(),
        };
        pair.store(dir, name)?;
        Ok(pair)
    };

    let serving = leaf(
        "serving",
        leaf_params(
            "foo-apiserver",
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        )?,
    )?;
    let admin = leaf("admin", client_params("admin", Some("system:masters"))?)?;
    Ok(LocalPki { ca, serving, admin })
}

/// A client certificate from the local CA for `user`, in `group` if given (CN and O, as
/// Kubernetes' x509 authenticator reads them; rcgen writes one O).
pub fn issue_client_certificate(
    ca: &CertPair,
    user: &str,
    group: Option<&str>,
) -> Result<CertPair> {
    let key = KeyPair::generate()?;
    Ok(CertPair {
        cert_pem: client_params(user, group)?
            .signed_by(&key, &issuer(ca)?)?
            .pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A CA and a serving certificate it issued, for a server behind a cluster Service: the CA is
/// what the APIService's `caBundle` trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServingPki {
    /// The CA, for the APIService's `caBundle`.
    pub ca: CertPair,
    /// The serving certificate the CA issued for the Service's DNS names.
    pub serving: CertPair,
}

/// A new CA and a serving certificate from it for `dns_names` (the first is also the subject's
/// CN), kept in memory only.
pub fn create_serving_pki(dns_names: &[String]) -> Result<ServingPki> {
    let ca = new_ca()?;
    let serving = issue_serving(&ca, dns_names)?;
    Ok(ServingPki { ca, serving })
}

/// Like [`create_serving_pki`], but kept in `dir` under the file names of a kubernetes.io/tls
/// Secret: `ca.crt`, `ca.key`, `tls.crt`, `tls.key`. What is there is reused; a missing CA is
/// created, and the serving certificate is issued again unless it verifies against `ca.crt` for
/// every one of `dns_names` today (so a new CA, a new `--name` or an expired certificate get a
/// fresh one, while a second run changes nothing).
pub fn load_or_create_serving_pki(dir: &Path, dns_names: &[String]) -> Result<ServingPki> {
    let ca = match CertPair::load(dir, "ca")? {
        Some(ca) => ca,
        None => {
            let ca = new_ca()?;
            ca.store(dir, "ca")?;
            ca
        }
    };
    if let Some(serving) = CertPair::load(dir, "tls")?
        && verify_serving(&ca.cert_pem, &serving.cert_pem, dns_names).is_ok()
    {
        return Ok(ServingPki { ca, serving });
    }
    let serving = issue_serving(&ca, dns_names)
        .with_context(|| format!("issuing a serving certificate from {}", dir.display()))?;
    // Issuing assumes a CA made by `new_ca` (its subject is rebuilt from `ca_params`); another
    // CA, or a key of another certificate, would yield a certificate nobody can verify.
    verify_serving(&ca.cert_pem, &serving.cert_pem, dns_names).with_context(|| {
        format!(
            "{0}/ca.crt and ca.key cannot issue a certificate that verifies: only a CA that \
             foo-apiserver created can issue one; with a CA of your own, put a serving \
             certificate for {1} in {0}/tls.crt and tls.key",
            dir.display(),
            dns_names.join(", ")
        )
    })?;
    serving.store(dir, "tls")?;
    Ok(ServingPki { ca, serving })
}

/// Checks that `cert_pem` (a certificate, then any intermediates) is valid now, chains to
/// `ca_pem` and serves each of `dns_names`, as a TLS client of the server would.
pub fn verify_serving(ca_pem: &str, cert_pem: &str, dns_names: &[String]) -> Result<()> {
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject};

    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(ca.context("parsing the CA certificate")?)?;
    }
    let mut chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes());
    let leaf = chain
        .next()
        .context("no certificate in the serving certificate file")?
        .context("parsing the serving certificate")?;
    let intermediates = chain
        .collect::<Result<Vec<_>, _>>()
        .context("parsing the serving certificate chain")?;
    let verifier = WebPkiServerVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        std::sync::Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()?;
    for name in dns_names {
        let server_name = ServerName::try_from(name.as_str())
            .with_context(|| format!("{name} is not a DNS name"))?;
        verifier
            .verify_server_cert(&leaf, &intermediates, &server_name, &[], UnixTime::now())
            .with_context(|| format!("the serving certificate for {name}"))?;
    }
    Ok(())
}

fn new_ca() -> Result<CertPair> {
    let key = KeyPair::generate()?;
    Ok(CertPair {
        cert_pem: ca_params().self_signed(&key)?.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn issue_serving(ca: &CertPair, dns_names: &[String]) -> Result<CertPair> {
    let common_name = dns_names
        .first()
        .context("a serving certificate needs a DNS name")?;
    let params = leaf_params(
        common_name,
        dns_names.to_vec(),
        ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    let key = KeyPair::generate()?;
    Ok(CertPair {
        cert_pem: params.signed_by(&key, &issuer(ca)?)?.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The CA certificate is always created from `ca_params`, so the same parameters describe the
/// issuer of a loaded CA.
fn issuer(ca: &CertPair) -> Result<Issuer<'static, KeyPair>> {
    let key = KeyPair::from_pem(&ca.key_pem).context("parsing ca.key")?;
    Ok(Issuer::new(ca_params(), key))
}

fn client_params(user: &str, group: Option<&str>) -> Result<CertificateParams> {
    let mut params = leaf_params(user, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)?;
    if let Some(group) = group {
        params
            .distinguished_name
            .push(DnType::OrganizationName, group);
    }
    Ok(params)
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, CA_COMMON_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, CA_VALIDITY);
    params
}

fn leaf_params(
    common_name: &str,
    sans: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(sans)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, LEAF_VALIDITY);
    Ok(params)
}

fn set_validity(params: &mut CertificateParams, validity: Duration) {
    let now = ASN1Time::now().to_datetime();
    // Backdated like client-go's self-signed certificates, to tolerate clock skew.
    params.not_before = now - HOUR;
    params.not_after = now + validity;
}

fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(contents) => Ok(Some(contents)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// Replaces `path` atomically (temporary file and rename) with `contents`, readable according
/// to the Unix permission bits `mode`, creating parent directories.
pub(crate) fn write_file_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> io::Result<()> {
        // A stale temporary file would keep its old permissions.
        match fs::remove_file(&tmp) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        let mut file = options.open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::RootCertStore;
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{CertificateDer, UnixTime, pem::PemObject};
    use rustls::server::WebPkiClientVerifier;
    use std::sync::Arc;

    fn der(pem: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
    }

    fn roots(ca: &CertPair) -> Arc<RootCertStore> {
        let mut roots = RootCertStore::empty();
        roots.add(der(&ca.cert_pem)).unwrap();
        Arc::new(roots)
    }

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn local_pki_is_reused_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let pki = load_or_create_local_pki(dir.path()).unwrap();
        assert_eq!(load_or_create_local_pki(dir.path()).unwrap(), pki);
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir.path().join("ca.key")), 0o600);
            assert_eq!(mode(&dir.path().join("ca.crt")), 0o644);
        }

        let now = UnixTime::now();
        let server_verifier =
            WebPkiServerVerifier::builder_with_provider(roots(&pki.ca), provider())
                .build()
                .unwrap();
        for host in ["localhost", "127.0.0.1", "::1"] {
            server_verifier
                .verify_server_cert(
                    &der(&pki.serving.cert_pem),
                    &[],
                    &host.try_into().unwrap(),
                    &[],
                    now,
                )
                .unwrap();
        }
        let client_verifier =
            WebPkiClientVerifier::builder_with_provider(roots(&pki.ca), provider())
                .build()
                .unwrap();
        client_verifier
            .verify_client_cert(&der(&pki.admin.cert_pem), &[], now)
            .unwrap();
        // Extended key usages keep the certificates to their roles.
        assert!(
            client_verifier
                .verify_client_cert(&der(&pki.serving.cert_pem), &[], now)
                .is_err()
        );

        let admin_der = der(&pki.admin.cert_pem);
        let (_, admin) = x509_parser::parse_x509_certificate(&admin_der).unwrap();
        let subject = admin.subject().to_string();
        assert!(subject.contains("CN=admin") && subject.contains("O=system:masters"));
    }

    #[test]
    fn missing_files_are_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let pki = load_or_create_local_pki(dir.path()).unwrap();

        fs::remove_file(dir.path().join("admin.key")).unwrap();
        let renewed = load_or_create_local_pki(dir.path()).unwrap();
        assert_eq!((&renewed.ca, &renewed.serving), (&pki.ca, &pki.serving));
        assert_ne!(renewed.admin, pki.admin);

        fs::remove_file(dir.path().join("ca.crt")).unwrap();
        let recreated = load_or_create_local_pki(dir.path()).unwrap();
        assert_ne!(recreated.ca, pki.ca);
        assert_ne!(recreated.serving, pki.serving);
        assert_ne!(recreated.admin, renewed.admin);
    }

    #[test]
    fn self_signed_serving_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let cert_dir = dir.path().join("certs");
        let hosts = ["foo.example".to_owned(), "10.0.0.1".to_owned()];
        let pair = self_signed_serving(&cert_dir, &hosts).unwrap();
        assert_eq!(self_signed_serving(&cert_dir, &[]).unwrap(), pair);
        #[cfg(unix)]
        assert_eq!(mode(&cert_dir.join("apiserver.key")), 0o600);

        let verifier = WebPkiServerVerifier::builder_with_provider(roots(&pair), provider())
            .build()
            .unwrap();
        for host in ["foo.example", "10.0.0.1", "localhost", "127.0.0.1"] {
            verifier
                .verify_server_cert(
                    &der(&pair.cert_pem),
                    &[],
                    &host.try_into().unwrap(),
                    &[],
                    UnixTime::now(),
                )
                .unwrap();
        }
    }

    #[test]
    fn serving_pki_is_reused_while_it_serves_the_names() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["foo.ns.svc".to_owned(), "foo".to_owned()];
        let pki = load_or_create_serving_pki(dir.path(), &names).unwrap();
        verify_serving(&pki.ca.cert_pem, &pki.serving.cert_pem, &names).unwrap();
        assert_eq!(load_or_create_serving_pki(dir.path(), &names).unwrap(), pki);
        #[cfg(unix)]
        assert_eq!(mode(&dir.path().join("tls.key")), 0o600);

        // Another name: the same CA issues a new certificate.
        let other = ["bar.ns.svc".to_owned()];
        let renamed = load_or_create_serving_pki(dir.path(), &other).unwrap();
        assert_eq!(renamed.ca, pki.ca);
        assert_ne!(renamed.serving, pki.serving);
        verify_serving(&renamed.ca.cert_pem, &renamed.serving.cert_pem, &other).unwrap();
        assert!(verify_serving(&pki.ca.cert_pem, &renamed.serving.cert_pem, &names).is_err());

        // A new CA: the old certificate does not verify against it, so it is replaced.
        fs::remove_file(dir.path().join("ca.key")).unwrap();
        let recreated = load_or_create_serving_pki(dir.path(), &other).unwrap();
        assert_ne!(recreated.ca, pki.ca);
        assert_ne!(recreated.serving, renamed.serving);
        verify_serving(&recreated.ca.cert_pem, &recreated.serving.cert_pem, &other).unwrap();
        assert!(verify_serving(&pki.ca.cert_pem, &recreated.serving.cert_pem, &other).is_err());
    }

    #[test]
    fn serving_pki_refuses_a_ca_it_cannot_issue_from() {
        let dir = tempfile::tempdir().unwrap();
        // A CA whose key belongs to another certificate: whatever it issues fails to verify.
        let ca = new_ca().unwrap();
        let stranger = new_ca().unwrap();
        CertPair {
            cert_pem: ca.cert_pem,
            key_pem: stranger.key_pem,
        }
        .store(dir.path(), "ca")
        .unwrap();
        let err = load_or_create_serving_pki(dir.path(), &["foo".to_owned()]).unwrap_err();
        assert!(format!("{err:#}").contains("cannot issue"), "{err:#}");
        assert!(!dir.path().join("tls.crt").exists());
    }
}
