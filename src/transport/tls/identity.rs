//! [`PeerIdentity`] read from a verified certificate.

use std::net::IpAddr;

use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

use crate::PeerIdentity;

/// The identity `der` (a certificate the handshake verified) names; a
/// field that cannot be read stays empty, and the certificate itself is
/// always there.
pub(crate) fn read(der: &[u8]) -> PeerIdentity {
    let mut id = PeerIdentity {
        certificate: der.to_vec(),
        ..PeerIdentity::default()
    };
    let Ok(cert) = Certificate::from_der(der) else {
        tracing::debug!("a verified client certificate did not parse as X.509");
        return id;
    };
    let tbs = &cert.tbs_certificate;
    id.subject = tbs.subject.to_string();
    if let Ok(Some((_, SubjectAltName(names)))) = tbs.get::<SubjectAltName>() {
        for name in names {
            match name {
                GeneralName::DnsName(n) => id.dns_names.push(n.to_string()),
                GeneralName::UniformResourceIdentifier(u) => id.uris.push(u.to_string()),
                GeneralName::Rfc822Name(e) => id.emails.push(e.to_string()),
                GeneralName::IpAddress(ip) => id.ips.extend(ip_from(ip.as_bytes())),
                _ => {}
            }
        }
    }
    id
}

/// An IPv4 or IPv6 address from its 4 or 16 bytes.
fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
