//! The TLS flags of the `server` example, shared with `#[path]`. They
//! need the `tls` feature:
//! `cargo run --features tls --example server -- --tls-cert … --tls-key …`.

use std::path::PathBuf;

use jsonmux::ServerBuilder;

/// TLS for every connection (needs `--features tls`).
#[derive(Clone, Debug, Default, clap::Args)]
pub(crate) struct ServerTlsArgs {
    /// Speak TLS with this certificate chain (PEM, the server's first).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Require client certificates from the CA in this PEM file (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) client_ca: Option<PathBuf>,
}

impl ServerTlsArgs {
    /// `builder`, speaking TLS if --tls-cert is given.
    pub(crate) fn apply(&self, builder: ServerBuilder) -> Result<ServerBuilder, String> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(builder);
        };
        #[cfg(feature = "tls")]
        {
            let mut tls = jsonmux::tls::ServerTls::from_pem_files(cert, key);
            if let Some(ca) = &self.client_ca {
                tls = tls.client_ca_pem_file(ca);
            }
            Ok(builder.tls(tls))
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (cert, key, builder);
            Err("--tls-cert needs TLS: build with --features tls".to_owned())
        }
    }
}
