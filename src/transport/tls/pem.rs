//! Certificates and keys from PEM files or bytes, with errors that say
//! which file was wrong.

use std::path::PathBuf;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::RootCertStore;

use super::{setup_error, setup_failed};
use crate::Error;

/// Where PEM text comes from: a file (named in errors, read when the
/// builder's terminal call builds the TLS configuration) or bytes.
#[derive(Clone)]
pub(crate) enum Pem {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pem::File(path) => write!(f, "{}", path.display()),
            Pem::Bytes(pem) => write!(f, "{} bytes of PEM", pem.len()),
        }
    }
}

impl Pem {
    /// What to call it in an error.
    fn name(&self) -> String {
        match self {
            Pem::File(path) => path.display().to_string(),
            Pem::Bytes(_) => "the PEM given".to_owned(),
        }
    }

    /// Every certificate in it, in order; at least one.
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] if it cannot be read or holds no certificate.
    pub(crate) fn certs(&self) -> Result<Vec<CertificateDer<'static>>, Error> {
        let read: Result<Vec<_>, _> = match self {
            Pem::File(path) => CertificateDer::pem_file_iter(path)
                .map_err(|e| setup_error(format!("reading {}", self.name()), e))?
                .collect(),
            Pem::Bytes(pem) => CertificateDer::pem_slice_iter(pem).collect(),
        };
        let certs = read.map_err(|e| setup_error(format!("reading {}", self.name()), e))?;
        if certs.is_empty() {
            return Err(setup_failed(format!("no certificate in {}", self.name())));
        }
        Ok(certs)
    }

    /// The first private key in it (PKCS #8, PKCS #1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] if it cannot be read or holds no key.
    pub(crate) fn key(&self) -> Result<PrivateKeyDer<'static>, Error> {
        let key = match self {
            Pem::File(path) => PrivateKeyDer::from_pem_file(path),
            Pem::Bytes(pem) => PrivateKeyDer::from_pem_slice(pem),
        };
        key.map_err(|e| setup_error(format!("reading a private key from {}", self.name()), e))
    }

    /// Adds every certificate in it to `roots`, as a trust anchor.
    ///
    /// # Errors
    ///
    /// As [`Pem::certs`], or [`Error::Tls`] for a certificate that cannot
    /// be an anchor.
    pub(crate) fn add_to(&self, roots: &mut RootCertStore) -> Result<(), Error> {
        for cert in self.certs()? {
            roots
                .add(cert)
                .map_err(|e| setup_error(format!("a CA certificate in {}", self.name()), e))?;
        }
        Ok(())
    }
}
