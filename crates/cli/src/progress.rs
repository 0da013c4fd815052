//! Progress on stderr: a bar that appears only for runs longer than about a second and only
//! on a terminal, and the Ctrl-C and SIGTERM handling: a flag that long work checks, or
//! exit 130 at once where nothing checks it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Raised by Ctrl-C or SIGTERM in a command that checks it.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// True once the running command said it checks [`STOP`] ([`install_ctrl_c`]).
static POLLED: AtomicBool = AtomicBool::new(false);

/// Install the one Ctrl-C and SIGTERM handler, at start-up, for every command: a command
/// that checks [`stopped`] (after [`install_ctrl_c`]) stops at its next check and saves
/// what it did; any other command (verify, export, diff, ...) ends at once with exit 130,
/// its outputs still `.partial`, so every command ends the same way on a signal.
pub fn install_handler() {
    // If a handler cannot be installed, a signal simply kills the process; the `.partial`
    // outputs it leaves are never under their final names.
    let _ = ctrlc::set_handler(|| {
        if POLLED.load(Ordering::SeqCst) {
            STOP.store(true, Ordering::SeqCst);
        } else {
            eprintln!("swarmlb: interrupted");
            std::process::exit(i32::from(crate::exit::EXIT_INTERRUPTED));
        }
    });
}

/// Declare that this command checks [`stopped`] and saves its work on Ctrl-C or SIGTERM.
pub fn install_ctrl_c() {
    POLLED.store(true, Ordering::SeqCst);
}

/// True once Ctrl-C was pressed.
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// A progress bar over `total` units that shows itself after a second on a terminal.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl Progress {
    /// A hidden bar with `total` units labelled `what`.
    pub fn new(total: u64, what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        let template =
            format!("{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} s simulated ({{eta}} left)");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        Progress {
            bar,
            started: Instant::now(),
            shown: false,
        }
    }

    /// Count in `unit` instead of simulated seconds.
    pub fn with_unit(self, unit: &str) -> Progress {
        let template = format!("{{spinner}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}} left)");
        self.bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        self
    }

    /// Move to `position`.
    pub fn set(&mut self, position: u64) {
        if !self.shown
            && self.started.elapsed() > Duration::from_secs(1)
            && std::io::stderr().is_terminal()
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(position);
    }

    /// Remove the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
