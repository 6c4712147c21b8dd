//! Capabilities a script may be granted: what reaches outside the engine
//! (files, the environment, the clock, process exit). The engine grants none
//! by default; a primitive that needs one asks [`refuse_unless`] before it
//! acts, so every refusal reads the same and names how a host grants it.

/// One thing outside the engine a script may be allowed to reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// `current-second`, `current-jiffy`.
    Clock,
    /// `get-environment-variable(s)`.
    Environment,
    /// `exit`, `emergency-exit`.
    Exit,
    /// `load` of source files.
    Load,
}

impl Capability {
    /// The capability as refusals name it.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::Clock => "the clock",
            Capability::Environment => "the environment",
            Capability::Exit => "process exit",
            Capability::Load => "file access",
        }
    }

    /// How a Rust host grants it.
    fn grant(self) -> &'static str {
        match self {
            Capability::Clock => "`Capabilities { clock: true, .. }`",
            Capability::Environment => "`Capabilities { environment: true, .. }`",
            Capability::Exit => "`Capabilities { exit: true, .. }`",
            Capability::Load => {
                "`Capabilities { load: Some(root_dir), .. }` or `Engine::set_loader`"
            }
        }
    }

    /// What a flow uses instead.
    fn instead(self) -> &'static str {
        match self {
            Capability::Clock => "use (flow/now)",
            Capability::Environment => "ask the host with a request",
            Capability::Exit => "return from the flow, or ask the host with a request",
            Capability::Load => {
                "load what the flow needs before starting it, or ask the host with a request"
            }
        }
    }
}

/// `Ok` when `who` may use `cap`: never inside a flow (flows must replay
/// the same way), and outside flows only when the host granted it. The
/// refusal is the message of the error object the primitive raises.
pub fn refuse_unless(
    cap: Capability,
    who: &str,
    running_flow: Option<u64>,
    granted: bool,
) -> Result<(), String> {
    if let Some(id) = running_flow {
        return Err(format!(
            "{who}: not allowed inside flow {id}: flows must be deterministic; {}",
            cap.instead()
        ));
    }
    if granted {
        return Ok(());
    }
    Err(format!(
        "{who}: {} is not granted to this program; a host grants it with {} (see Engine::set_capabilities)",
        cap.describe(),
        cap.grant()
    ))
}
