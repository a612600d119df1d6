//! Why the cluster source could not start.

use std::fmt;

/// The cluster source could not start: no cluster configuration was
/// found, kube could not build a client from it, or the rebuild thread
/// could not be started. Once running, the source never fails: it
/// retries and reports instead.
#[derive(Debug)]
pub struct ClusterError {
    what: What,
    source: Box<dyn std::error::Error + Send + Sync>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Config,
    Client,
    Thread,
}

impl ClusterError {
    pub(crate) fn config(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            what: What::Config,
            source: Box::new(source),
        }
    }

    pub(crate) fn client(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            what: What::Client,
            source: Box::new(source),
        }
    }

    pub(crate) fn thread(source: std::io::Error) -> Self {
        Self {
            what: What::Thread,
            source: Box::new(source),
        }
    }

    /// No cluster configuration: neither `KUBECONFIG`, `~/.kube/config`
    /// nor an in-cluster service account, or one that does not read.
    pub fn is_config(&self) -> bool {
        self.what == What::Config
    }

    /// kube could not build a client from the configuration (say, a TLS
    /// setting it cannot use).
    pub fn is_client(&self) -> bool {
        self.what == What::Client
    }
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.what {
            What::Config => write!(f, "no usable cluster configuration: {}", self.source),
            What::Client => write!(f, "cannot build a cluster client: {}", self.source),
            What::Thread => write!(f, "cannot start the rebuild thread: {}", self.source),
        }
    }
}

impl std::error::Error for ClusterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
