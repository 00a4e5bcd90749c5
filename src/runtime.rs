//! The process's one async runtime, for the network checks and the helpdesk's mail.
//!
//! Made on first use (most commands never touch the network) and shared from then on: the
//! wizard's checks, `relaydoc check …` and sending a session's steps by mail all run on it.
//! [`block_on`] may be called from any thread, several at once (the TUI runs each check on a
//! worker thread); [`block_on_anywhere`] also from inside async code, where the work moves to
//! a short-lived thread of its own, because blocking a runtime thread on itself would panic.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

/// Why async work could not run; the words say it for a person.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    /// The runtime could not start (no threads, …); kept as text, as it is shared by every
    /// caller after the first.
    #[error("cannot start the async runtime: {0}")]
    Start(String),
    /// A programming error, reported as one rather than a panic in front of a person.
    #[error("internal error: a check was run from inside async code")]
    InsideAsync,
    /// The thread running the work panicked.
    #[error("the work stopped unexpectedly")]
    Stopped,
}

fn shared() -> Result<&'static Runtime, RuntimeError> {
    static RUNTIME: OnceLock<Result<Runtime, RuntimeError>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                // Checks wait on the network, not the CPU: two threads keep a slow server
                // from holding up the others without crowding a small machine.
                .worker_threads(2)
                .thread_name("relaydoc-net")
                .enable_all()
                .build()
                .map_err(|error| RuntimeError::Start(error.to_string()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs `future` to the end on the shared runtime and returns its output, from a thread that
/// is not itself running async code; `Err` when the runtime cannot start (the words say why).
pub fn block_on<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(RuntimeError::InsideAsync);
    }
    Ok(shared()?.block_on(future))
}

/// Like [`block_on`], from any thread, also one that runs async code itself: there the work
/// moves to a short-lived thread of its own, so the future must be `Send`.
pub fn block_on_anywhere<F>(future: F) -> Result<F::Output, RuntimeError>
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return block_on(future);
    }
    let runtime = shared()?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(future))
            .join()
            .map_err(|_| RuntimeError::Stopped)
    })
}
