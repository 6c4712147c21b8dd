//! `--max-steps`, `--max-depth` and `--max-heap`: the limits a command runs
//! code under, each overriding its default (docs/security.md).

use clap::Args;
use skein::Limits;

#[derive(Args, Clone, Debug, Default)]
pub struct LimitArgs {
    /// Stop code that makes more than N procedure calls.
    #[arg(long, value_name = "N", global = true)]
    pub max_steps: Option<u64>,
    /// Stop non-tail recursion deeper than N frames.
    #[arg(long, value_name = "N", global = true)]
    pub max_depth: Option<usize>,
    /// Stop code that holds more than SIZE bytes of values (`512M`, `2G`).
    #[arg(long, value_name = "SIZE", global = true, value_parser = parse_size)]
    pub max_heap: Option<usize>,
}

impl LimitArgs {
    /// The default limits with the given ones put in.
    pub fn limits(&self) -> Limits {
        let default = Limits::default();
        Limits {
            max_steps: self.max_steps.or(default.max_steps),
            max_depth: self.max_depth.or(default.max_depth),
            max_heap_bytes: self.max_heap.or(default.max_heap_bytes),
        }
    }
}

/// A byte count: digits with an optional `K`, `M` or `G` (powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let upper = text.trim().to_ascii_uppercase();
    let digits = upper.trim_end_matches(['B']).trim_end_matches(['I']);
    let (number, shift) = match digits.chars().last() {
        Some('K') => (&digits[..digits.len() - 1], 10),
        Some('M') => (&digits[..digits.len() - 1], 20),
        Some('G') => (&digits[..digits.len() - 1], 30),
        _ => (digits, 0),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{text}` is not a size: write bytes, or a number with K, M or G"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
