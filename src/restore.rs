//! Leaving the terminal as it was found, on every way out of the TUI and the plain wizard.
//!
//! Quitting, errors and Ctrl-C (a key in raw mode) restore the terminal where the screen is
//! set up. This module covers the rest: SIGTERM, SIGHUP, SIGINT and SIGQUIT from outside
//! (`kill`, a closed terminal window, a service manager) and panics. [`install`] starts one
//! thread per process that waits for those signals (signal-hook: the handler itself only
//! wakes the thread, so no unsafe work happens in signal context); it then undoes raw mode,
//! the alternate screen, bracketed paste and the hidden cursor, and ends the process by the
//! same signal, so the shell sees what happened (130 for SIGINT, 143 for SIGTERM). A
//! session is saved after every step, so nothing answered is lost.

use std::io::{IsTerminal, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the TUI has the alternate screen now (leaving it when it is not entered would
/// move the cursor on some terminals).
static ALTERNATE: AtomicBool = AtomicBool::new(false);

/// Sets up the restore on signals and on panic, once per process; call before the terminal is
/// put into raw mode or the alternate screen.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        spawn_signal_thread();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// The TUI entered (`true`) or left (`false`) the alternate screen.
pub fn alternate_screen(on: bool) {
    ALTERNATE.store(on, Ordering::SeqCst);
}

/// Undoes everything relaydoc may have changed on the terminal. Harmless when nothing was:
/// crossterm leaves the mode alone unless it enabled raw mode itself, and escape sequences
/// are written only to a terminal.
pub fn restore() {
    let _ = crossterm::terminal::disable_raw_mode();
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return;
    }
    let mut out = stdout.lock();
    let _ = crossterm::queue!(out, crossterm::event::DisableBracketedPaste);
    if ALTERNATE.swap(false, Ordering::SeqCst) {
        let _ = crossterm::queue!(out, crossterm::terminal::LeaveAlternateScreen);
    }
    let _ = crossterm::queue!(out, crossterm::cursor::Show);
    let _ = out.flush();
}

#[cfg(unix)]
fn spawn_signal_thread() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])
    else {
        // Without the handlers the signals keep their default action: the process ends as
        // before, only the terminal is not restored. Nothing else to do about it.
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("relaydoc-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Holding stdout keeps the UI thread from drawing after the restore.
                let stdout = std::io::stdout();
                let _drawing_stops = stdout.lock();
                restore();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                // Only reached if the default action did not end the process.
                std::process::exit(128 + signal);
            }
        });
    drop(spawned);
}
