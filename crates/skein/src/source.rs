//! Source files and spans: byte offsets that become `file:line:col` only when printed.

use std::sync::Arc;

/// A byte range in one source file registered with a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: u32, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }
}

/// One loaded source text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(name: String, text: String) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count();
        (line + 1, col + 1)
    }
}

/// Every source text an engine has read, so spans can be rendered later.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> u32 {
        self.files
            .push(Arc::new(SourceFile::new(name.into(), text.into())));
        (self.files.len() - 1) as u32
    }

    pub fn file(&self, id: u32) -> Option<&Arc<SourceFile>> {
        self.files.get(id as usize)
    }

    /// `name:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> Option<Location> {
        let file = self.file(span.file)?;
        let (line, column) = file.line_col(span.start as usize);
        Some(Location {
            file: file.name.clone(),
            line,
            column,
        })
    }
}

/// A human-readable source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file's name as it was loaded (or `<eval>`, `<datum>`).
    pub file: String,
    /// From 1.
    pub line: usize,
    /// From 1, in characters.
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Where an error was raised: its span and the spans of the calls that led there.
#[derive(Clone, Debug)]
pub struct Site {
    pub span: Span,
    pub chain: Vec<Span>,
}
