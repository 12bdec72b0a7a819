//! TLS for `hookwright receive` from a certificate chain and a private key in PEM files (as
//! cert-manager and the kubelet write them), re-read when they change: a handshake always gets
//! the last good pair, a broken or half-written renewal keeps the previous one. Each pair gets a
//! server configuration of its own, so a session from before a renewal cannot be resumed after
//! it (resumption skips the certificate).

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use sha2::{Digest as _, Sha256};

/// Why a certificate/key pair was not loaded. Never carries file contents.
#[derive(Debug, thiserror::Error)]
pub enum TlsFilesError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The certificate file holds no PEM certificate.
    #[error("{path}: no PEM certificate found")]
    NoCertificate { path: PathBuf },
    /// The key file holds no usable PEM private key.
    #[error("{path}: no usable PEM private key (PKCS#8, PKCS#1 or SEC1; RSA, ECDSA or Ed25519)")]
    BadKey { path: PathBuf },
    /// The key is not the certificate's.
    #[error("the key in {key} does not match the certificate in {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
}

/// The configuration served now and a digest of the file contents its pair came from.
#[derive(Debug)]
struct Loaded {
    config: Arc<ServerConfig>,
    digest: [u8; 32],
}

/// Certificate and key files, and the pair last loaded from them.
#[derive(Debug)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Loaded>,
}

impl TlsFiles {
    /// Loads the pair once; an error here is a usage error.
    pub fn load(cert: &Path, key: &Path) -> Result<TlsFiles, TlsFilesError> {
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        let loaded = parse(cert, &cert_pem, key, &key_pem)?;
        Ok(TlsFiles { cert: cert.to_path_buf(), key: key.to_path_buf(), current: RwLock::new(loaded) })
    }

    /// Re-reads both files; `Ok(true)` when a new pair is now served, `Ok(false)` when nothing
    /// changed. On error the previous pair stays.
    pub fn reload(&self) -> Result<bool, TlsFilesError> {
        let (cert_pem, key_pem) = (read(&self.cert)?, read(&self.key)?);
        if digest(&cert_pem, &key_pem) == self.current.read().unwrap_or_else(PoisonError::into_inner).digest {
            return Ok(false);
        }
        let loaded = parse(&self.cert, &cert_pem, &self.key, &key_pem)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = loaded;
        Ok(true)
    }

    /// The server configuration (HTTP/1.1, the last good pair) for a new connection.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).config.clone()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsFilesError> {
    std::fs::read(path).map_err(|source| TlsFilesError::Read { path: path.to_path_buf(), source })
}

fn digest(cert_pem: &[u8], key_pem: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((cert_pem.len() as u64).to_be_bytes());
    h.update(cert_pem);
    h.update(key_pem);
    h.finalize().into()
}

fn parse(cert: &Path, cert_pem: &[u8], key: &Path, key_pem: &[u8]) -> Result<Loaded, TlsFilesError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem).filter_map(Result::ok).collect();
    if chain.is_empty() {
        return Err(TlsFilesError::NoCertificate { path: cert.to_path_buf() });
    }
    let bad_key = || TlsFilesError::BadKey { path: key.to_path_buf() };
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| bad_key())?;
    let signer = any_supported_type(&private).map_err(|_| bad_key())?;
    let pair = CertifiedKey::new(chain, signer);
    pair.keys_match().map_err(|_| TlsFilesError::Mismatch { cert: cert.to_path_buf(), key: key.to_path_buf() })?;
    let mut config =
        ServerConfig::builder().with_no_client_auth().with_cert_resolver(Arc::new(SingleCertAndKey::from(pair)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Loaded { config: Arc::new(config), digest: digest(cert_pem, key_pem) })
}
