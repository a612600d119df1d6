//! The certificates a TLS listener serves: the table and the default.

use std::fmt;
use std::sync::Arc;

use ingress_core::tls::Resolution;
use rustls::sign::CertifiedKey;

use super::CertifiedTable;

/// The certificate table of the served Ingresses and the default
/// certificate, together: what one handshake resolves against.
#[derive(Clone)]
pub struct Certificates {
    table: Arc<CertifiedTable>,
    default: Arc<CertifiedKey>,
}

impl Certificates {
    /// `table`, with `default` for every name it does not serve.
    pub fn new(table: Arc<CertifiedTable>, default: Arc<CertifiedKey>) -> Self {
        Self { table, default }
    }

    /// No TLS host: `default` serves every name.
    pub fn only_default(default: Arc<CertifiedKey>) -> Self {
        Self::new(Arc::new(CertifiedTable::new()), default)
    }

    /// The certificate for the SNI name `sni` (T2): an exact TLS host's,
    /// else a one-label wildcard's, else the default (no SNI, an unknown
    /// name, or a host whose Secret is missing or broken, T3). Never none:
    /// a handshake is never refused for want of a certificate.
    pub fn resolve(&self, sni: Option<&str>) -> &Arc<CertifiedKey> {
        self.resolution(sni).certificate().unwrap_or(&self.default)
    }

    /// How the table resolves `sni` (which level, or why the default).
    pub fn resolution(&self, sni: Option<&str>) -> Resolution<'_, Arc<CertifiedKey>> {
        self.table.resolve(sni)
    }

    /// The table.
    pub fn table(&self) -> &Arc<CertifiedTable> {
        &self.table
    }

    /// The default certificate.
    pub fn default_certificate(&self) -> &Arc<CertifiedKey> {
        &self.default
    }

    /// The same default with another table (a rebuild).
    #[must_use]
    pub fn with_table(&self, table: Arc<CertifiedTable>) -> Self {
        Self {
            table,
            default: Arc::clone(&self.default),
        }
    }
}

/// Lists the TLS hosts only: never key material (T3).
impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}
