//! The fake API server against kube 5 itself: kube's `Client` and `Api`,
//! kube-runtime's `watcher`, `reflector` and event `Recorder`, reading
//! the same bytes they would read from a real API server.

mod support;

mod faults;
mod leader;
mod list_watch;
mod protocol;
mod robustness;
mod writes;
