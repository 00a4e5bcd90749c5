//! TLS for the probes: which roots to trust, the handshake, and what it tells about the
//! server's certificate (validity, name match, days to expiry), with rustls on ring.
//!
//! Two modes: [`TrustMode::Strict`] fails the handshake on a bad certificate (used before any
//! password is sent), [`TrustMode::Inspect`] completes it and records what was wrong, so a
//! probe can report "expired certificate" as a finding and still see what the server offers.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;

/// Whether a bad certificate stops the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustMode {
    Strict,
    Inspect,
}

/// The certificate authorities a probe trusts.
#[derive(Debug, Clone)]
pub struct Trust {
    roots: Arc<RootCertStore>,
    /// Where the roots came from, for the report ("system", or the CA file's path).
    pub source: String,
}

/// A CA bundle is at most a few hundred KiB (Debian's whole system store is about 200 KiB).
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The certificates of a PEM CA file (`--ca-file`, `helpdesk.smtp.ca_file`), read through the
/// bounded reader: the one loader every TLS client here uses. An error when there are none.
pub fn load_ca_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = crate::files::read(path, crate::files::Rules::regular(MAX_CA_FILE_BYTES))
        .map_err(|e| format!("cannot read the CA file {e}"))?;
    let shown = crate::files::shown(path);
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{shown} is not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "{shown} holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certs)
}

/// Why the trust roots could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{0}")]
    CaFile(String),
    #[error("the CA file {0} holds no usable certificate")]
    CaFileEmpty(String),
}

impl Trust {
    /// The system's roots (rustls-native-certs), or the bundled webpki roots when the system
    /// store is empty or unreadable.
    pub fn system() -> Trust {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        Trust {
            roots: Arc::new(roots),
            source: String::from("system"),
        }
    }

    /// Only the certificates in `path` (PEM), like curl's `--cacert`: a private CA replaces
    /// the system store, so a probe proves the server's chain leads to exactly that CA.
    pub fn from_ca_file(path: &Path) -> Result<Trust, TrustError> {
        let certs = load_ca_certificates(path).map_err(TrustError::CaFile)?;
        let shown = crate::files::shown(path);
        let mut roots = RootCertStore::empty();
        let (added, _ignored) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(TrustError::CaFileEmpty(shown));
        }
        Ok(Trust {
            roots: Arc::new(roots),
            source: shown,
        })
    }

    /// A client configuration for one connection, and the slot where its verifier records
    /// what it found about the server's certificate.
    pub(crate) fn client_config(
        &self,
        mode: TrustMode,
    ) -> Result<(rustls::ClientConfig, VerdictSlot), rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner =
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        let verdict = Arc::new(Mutex::new(None));
        let verifier = RecordingVerifier {
            inner,
            mode,
            verdict: verdict.clone(),
        };
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        // A probe never resumes a session: each one should see the server as a new client does.
        config.resumption = rustls::client::Resumption::disabled();
        Ok((config, verdict))
    }
}

/// Where a connection's verifier leaves its verdict for the code that reports it.
pub(crate) type VerdictSlot = Arc<Mutex<Option<CertVerdict>>>;

/// What verification said about the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertVerdict {
    Valid,
    Expired,
    NotYetValid,
    NameMismatch,
    /// The chain does not lead to a trusted CA (self-signed, private CA without `--ca-file`).
    Untrusted,
    Invalid,
}

impl CertVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            CertVerdict::Valid => "valid",
            CertVerdict::Expired => "expired",
            CertVerdict::NotYetValid => "not-yet-valid",
            CertVerdict::NameMismatch => "name-mismatch",
            CertVerdict::Untrusted => "untrusted",
            CertVerdict::Invalid => "invalid",
        }
    }

    pub fn plain_words(self) -> &'static str {
        match self {
            CertVerdict::Valid => "the certificate is valid for this name",
            CertVerdict::Expired => "the server's certificate has expired",
            CertVerdict::NotYetValid => "the server's certificate is not valid yet (check clocks)",
            CertVerdict::NameMismatch => {
                "the certificate is for a different name than the server name used"
            }
            CertVerdict::Untrusted => {
                "the certificate is not signed by a trusted authority (self-signed or private CA)"
            }
            CertVerdict::Invalid => "the certificate could not be verified",
        }
    }

    pub(crate) fn from_error(error: &rustls::Error) -> CertVerdict {
        match error {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    CertVerdict::Expired
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    CertVerdict::NotYetValid
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => CertVerdict::NameMismatch,
                CertificateError::UnknownIssuer => CertVerdict::Untrusted,
                _ => CertVerdict::Invalid,
            },
            _ => CertVerdict::Invalid,
        }
    }
}

#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    mode: TrustMode,
    verdict: VerdictSlot,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let verdict = match &result {
            Ok(_) => CertVerdict::Valid,
            Err(error) => CertVerdict::from_error(error),
        };
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        match (result, self.mode) {
            (Ok(verified), _) => Ok(verified),
            (Err(error), TrustMode::Strict) => Err(error),
            // Inspect mode: no secret will be sent on this connection, so finishing the
            // handshake to see the rest of the dialogue is safe.
            (Err(_), TrustMode::Inspect) => Ok(ServerCertVerified::assertion()),
        }
    }

    // Handshake signatures are always checked for real, in both modes: a server that cannot
    // prove it holds the key is not speaking TLS properly, whatever its certificate says.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What a completed handshake showed.
#[derive(Debug, Clone, Serialize)]
pub struct TlsInfo {
    /// e.g. `TLSv1.3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    pub certificate: CertVerdict,
    /// The name the certificate was checked against.
    pub checked_name: String,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// DNS names and IP addresses the certificate covers.
    pub names: Vec<String>,
    /// Expiry as seconds since the Unix epoch.
    pub not_after_unix: Option<i64>,
    /// Whole days until expiry; negative when already expired.
    pub days_to_expiry: Option<i64>,
    /// Where the trusted roots came from.
    pub trust: String,
}

impl TlsInfo {
    pub(crate) fn from_connection(
        connection: &rustls::ClientConnection,
        verdict: Option<CertVerdict>,
        checked_name: &str,
        trust: &Trust,
    ) -> TlsInfo {
        let version = connection
            .protocol_version()
            .map(|v| match v {
                rustls::ProtocolVersion::TLSv1_3 => String::from("TLSv1.3"),
                rustls::ProtocolVersion::TLSv1_2 => String::from("TLSv1.2"),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        let cipher = connection
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        let mut info = TlsInfo {
            version,
            cipher,
            certificate: verdict.unwrap_or(CertVerdict::Invalid),
            checked_name: checked_name.to_string(),
            subject: None,
            issuer: None,
            names: Vec::new(),
            not_after_unix: None,
            days_to_expiry: None,
            trust: trust.source.clone(),
        };
        if let Some(leaf) = connection.peer_certificates().and_then(|c| c.first()) {
            info.describe_certificate(leaf.as_ref());
        }
        info
    }

    fn describe_certificate(&mut self, der: &[u8]) {
        use x509_parser::extensions::GeneralName;
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
            return;
        };
        self.subject = Some(cert.subject().to_string());
        self.issuer = Some(cert.issuer().to_string());
        let not_after = cert.validity().not_after.timestamp();
        self.not_after_unix = Some(not_after);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        self.days_to_expiry = Some((not_after - now).div_euclid(86_400));
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => self.names.push((*dns).to_string()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            self.names.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}
