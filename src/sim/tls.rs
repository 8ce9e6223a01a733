//! `sgkeys sim --tls`: HTTPS with a fresh, self-signed CA made at every start (never kept), a
//! certificate for `127.0.0.1` and `localhost` signed by it, and ALPN offering HTTP/2 and
//! HTTP/1.1 (HTTP/1.1 only with `--http1-only`). Clients trust the CA with `--ca-cert FILE`.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::SimError;

/// The simulator's TLS setup: the acceptor, and the CA certificate (PEM) clients must trust.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub ca_pem: String,
}

fn err(e: impl std::fmt::Display) -> SimError {
    SimError::Config(format!("cannot set up TLS: {e}"))
}

/// A new CA, a server certificate for 127.0.0.1/localhost, and the acceptor.
pub fn setup(http1_only: bool) -> Result<Tls, SimError> {
    crate::api::install_crypto_provider();
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.distinguished_name.push(
        DnType::CommonName,
        "sgkeys simulator CA (made at start, never kept)",
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "sgkeys simulator");
    let cert = params.signed_by(&key, &issuer).map_err(err)?;

    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(err)?;
    config.alpn_protocols = if http1_only {
        vec![b"http/1.1".to_vec()]
    } else {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    };
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca_cert.pem(),
    })
}
