//! Where program output goes: stdout (or stderr, for the error port), a
//! buffer the host reads, or nowhere while a flow replays.

use std::io::Write;

/// The destination of `display`, `write` and friends.
pub enum Sink {
    Stdout,
    Stderr,
    Buffer(String),
    Writer(Box<dyn Write + Send>),
}

pub struct Output {
    sink: Sink,
    pending: String,
    /// Set while a flow is rebuilt by replay: its output already appeared once.
    pub suppressed: bool,
}

impl Default for Output {
    fn default() -> Output {
        Output {
            sink: Sink::Stdout,
            pending: String::new(),
            suppressed: false,
        }
    }
}

impl Output {
    /// An output to stderr: where `current-error-port` writes by default.
    pub fn stderr() -> Output {
        Output {
            sink: Sink::Stderr,
            ..Output::default()
        }
    }

    pub fn set_sink(&mut self, sink: Sink) {
        self.flush();
        self.sink = sink;
    }

    pub fn write(&mut self, text: &str) {
        if self.suppressed {
            return;
        }
        match &mut self.sink {
            Sink::Buffer(buf) => buf.push_str(text),
            _ => {
                self.pending.push_str(text);
                if self.pending.len() > 8192 {
                    self.flush();
                }
            }
        }
    }

    /// Write buffered stdout/writer output through.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // Output errors (a closed pipe) must not abort evaluation.
        match &mut self.sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(self.pending.as_bytes());
                let _ = out.flush();
            }
            Sink::Stderr => {
                let mut out = std::io::stderr().lock();
                let _ = out.write_all(self.pending.as_bytes());
                let _ = out.flush();
            }
            Sink::Writer(w) => {
                let _ = w.write_all(self.pending.as_bytes());
                let _ = w.flush();
            }
            Sink::Buffer(buf) => buf.push_str(&self.pending),
        }
        self.pending.clear();
    }

    /// Take what a buffer sink has collected.
    pub fn take_buffer(&mut self) -> String {
        match &mut self.sink {
            Sink::Buffer(buf) => std::mem::take(buf),
            _ => String::new(),
        }
    }
}
