//! The signer identities a Fulcio certificate names: its e-mail and URI SANs, which the engine
//! reads, and the `otherName` SAN of type `1.3.6.1.4.1.57264.1.7` (a UTF-8 user name such as
//! `foo!oidc.local`), which it does not. sigstore-go matches that kind like the others; so do
//! we, so a valid bundle from such an issuer is not read as "no identity".

use der::asn1::Utf8StringRef;
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// Fulcio's otherName type for user names.
const FULCIO_OTHERNAME: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// Every identity the certificate's SAN extension names, in order. Unparseable certificates
/// yield none (the engine has already refused them by then).
pub fn identities(cert_der: &[u8]) -> Vec<String> {
    let Ok(cert) = Certificate::from_der(cert_der) else {
        return Vec::new();
    };
    let Ok(Some((_, san))) = cert.tbs_certificate.get::<SubjectAltName>() else {
        return Vec::new();
    };
    san.0
        .iter()
        .filter_map(|name| match name {
            GeneralName::Rfc822Name(s) => Some(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
            GeneralName::OtherName(o) if o.type_id == FULCIO_OTHERNAME => o
                .value
                .to_der()
                .ok()
                .and_then(|d| Utf8StringRef::from_der(&d).ok().map(|s| s.to_string())),
            _ => None,
        })
        .collect()
}
