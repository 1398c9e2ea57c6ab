//! Makes a throwaway PKI for trying TLS: a CA, a server certificate it
//! signs (for `localhost`, `127.0.0.1` and `::1` by default) and a client
//! certificate for mutual TLS, written as PEM files into `--out`:
//! `ca.pem`, `server.pem`, `server.key`, `client.pem`, `client.key`.
//! The CA's key is thrown away, so nothing else can be signed with it.
//!
//! ```sh
//! cargo run --example certs -- --out /tmp/jsonmux-certs
//! cargo run --release --features tls --example server -- --addr 127.0.0.1:3443 \
//!     --tls-cert /tmp/jsonmux-certs/server.pem --tls-key /tmp/jsonmux-certs/server.key \
//!     --client-ca /tmp/jsonmux-certs/ca.pem
//! cargo run --release --features tls --example client -- --addr 127.0.0.1:3443 \
//!     --tls-ca /tmp/jsonmux-certs/ca.pem \
//!     --tls-cert /tmp/jsonmux-certs/client.pem --tls-key /tmp/jsonmux-certs/client.key
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// Writes a CA, a server and a client certificate for trying TLS.
#[derive(Debug, Parser)]
struct Args {
    /// Directory to write the PEM files into (created if missing).
    #[arg(long, default_value = "certs")]
    out: PathBuf,
    /// Names the server certificate is valid for (DNS names or IP addresses).
    #[arg(long, value_delimiter = ',', default_value = "localhost,127.0.0.1,::1")]
    server_names: Vec<String>,
    /// The client certificate's common name.
    #[arg(long, default_value = "jsonmux-client")]
    client_cn: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match write_all(&args) {
        Ok(()) => {
            println!(
                "wrote ca.pem, server.pem, server.key, client.pem, client.key to {}",
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_all(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.out)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "jsonmux example CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    write(&args.out.join("ca.pem"), &ca.pem(), false)?;

    let mut server = CertificateParams::new(args.server_names.clone())?;
    server
        .distinguished_name
        .push(DnType::CommonName, "jsonmux example server");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    issue(server, &ca, &args.out, "server")?;

    let mut client = CertificateParams::default();
    client
        .distinguished_name
        .push(DnType::CommonName, &args.client_cn);
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    issue(client, &ca, &args.out, "client")
}

/// Signs `params` with the CA and writes `<name>.pem` and `<name>.key`.
fn issue(
    params: CertificateParams,
    ca: &CertifiedIssuer<'_, KeyPair>,
    out: &Path,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, ca)?;
    write(&out.join(format!("{name}.pem")), &cert.pem(), false)?;
    write(&out.join(format!("{name}.key")), &key.serialize_pem(), true)?;
    Ok(())
}

/// Writes `text` to `path`; a private key readable by its owner only.
fn write(path: &Path, text: &str, private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    std::io::Write::write_all(&mut options.open(path)?, text.as_bytes())
}
