//! TLS material for the apiserver: a CA, a serving *leaf* certificate for 127.0.0.1, and the
//! service-account signing key.
use std::io::Read;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

pub(crate) struct Pki {
    pub ca_pem: String,
    pub serving_cert: PathBuf,
    pub serving_key: PathBuf,
    pub sa_key: PathBuf,
    pub sa_pub: PathBuf,
}

pub(crate) fn write_pki(dir: &Path) -> Result<Pki, crate::TestEnvError> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "hookwright-testenv-ca");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string(), "::1".to_string()])?;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.distinguished_name.push(DnType::CommonName, "kube-apiserver");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

    let sa_key = KeyPair::generate()?;
    let pki = Pki {
        ca_pem: ca_cert.pem(),
        serving_cert: dir.join("serving.crt"),
        serving_key: dir.join("serving.key"),
        sa_key: dir.join("sa.key"),
        sa_pub: dir.join("sa.pub"),
    };
    // The serving file carries the leaf then the CA, as a server chain should.
    std::fs::write(&pki.serving_cert, format!("{}{}", leaf_cert.pem(), pki.ca_pem))?;
    std::fs::write(&pki.serving_key, leaf_key.serialize_pem())?;
    std::fs::write(&pki.sa_key, sa_key.serialize_pem())?;
    std::fs::write(&pki.sa_pub, sa_key.public_key_pem())?;
    std::fs::write(dir.join("ca.crt"), &pki.ca_pem)?;
    Ok(pki)
}

/// 32 random bytes from the kernel, hex encoded.
pub(crate) fn random_token() -> String {
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).expect("/dev/urandom");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
