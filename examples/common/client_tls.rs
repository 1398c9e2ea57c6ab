//! The TLS flags of the client examples (`client`, `loadgen`), shared
//! with `#[path]`. They need the `tls` feature:
//! `cargo run --features tls --example client -- --tls-ca ca.pem …`.

use std::path::PathBuf;

use jsonmux::ClientBuilder;

/// TLS to the server (needs `--features tls`).
#[derive(Clone, Debug, Default, clap::Args)]
pub(crate) struct ClientTlsArgs {
    /// Speak TLS, trusting the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_ca: Option<PathBuf>,
    /// Our certificate chain (PEM), for a server that asks for one (mutual TLS).
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "tls_ca"])]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// The name the server's certificate must be valid for, instead of the
    /// host dialed (needed for a Unix socket).
    #[arg(long, value_name = "NAME", requires = "tls_ca")]
    pub(crate) tls_server_name: Option<String>,
}

impl ClientTlsArgs {
    /// `builder`, speaking TLS if --tls-ca is given.
    pub(crate) fn apply(&self, builder: ClientBuilder) -> Result<ClientBuilder, String> {
        let Some(ca) = &self.tls_ca else {
            return Ok(builder);
        };
        #[cfg(feature = "tls")]
        {
            let mut tls = jsonmux::tls::ClientTls::new().ca_pem_file(ca);
            if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
                tls = tls.identity_pem_files(cert, key);
            }
            if let Some(name) = &self.tls_server_name {
                tls = tls.server_name(name);
            }
            Ok(builder.tls(tls))
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (ca, builder);
            Err("--tls-ca needs TLS: build with --features tls".to_owned())
        }
    }
}
