//! A string's text: immutable UTF-8 that knows its length in characters
//! once asked, so indexing an ASCII string is O(1), and that returns its
//! bytes to the heap budget when freed.

use std::cell::Cell;

use crate::values::heap;

/// The text of a Scheme string.
#[derive(PartialEq, Eq)]
pub struct Text {
    text: String,
    /// The length in characters; `UNCOUNTED` until first asked.
    chars: CharCount,
}

const UNCOUNTED: usize = usize::MAX;

impl Text {
    /// `text`, charged to the heap budget.
    pub fn new(text: String) -> Text {
        heap::charge(Text::bytes_of(&text));
        Text {
            text,
            chars: CharCount(Cell::new(UNCOUNTED)),
        }
    }

    /// The length in characters, counted on the first call.
    pub fn char_len(&self) -> usize {
        let known = self.chars.0.get();
        if known != UNCOUNTED {
            return known;
        }
        let n = if self.text.is_ascii() {
            self.text.len()
        } else {
            self.text.chars().count()
        };
        self.chars.0.set(n);
        n
    }

    /// Whether every character is one byte, so a char index is a byte offset.
    pub fn is_ascii(&self) -> bool {
        self.char_len() == self.text.len()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn bytes_of(text: &String) -> usize {
        heap::rc_bytes::<Text>() + text.capacity()
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        heap::credit(Text::bytes_of(&self.text));
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// Not part of a string's value: equal texts are equal however counted.
struct CharCount(Cell<usize>);
impl PartialEq for CharCount {
    fn eq(&self, _: &CharCount) -> bool {
        true
    }
}
impl Eq for CharCount {}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.text.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn a_text_knows_its_length_in_characters() {
        let ascii = Text::new("hello".to_owned());
        assert_eq!((ascii.char_len(), ascii.is_ascii()), (5, true));
        let accented = Text::new("héllo 日本".to_owned());
        assert_eq!((accented.char_len(), accented.is_ascii()), (8, false));
        // Asked again, the count is the one made the first time.
        assert_eq!(accented.char_len(), 8);
        assert_eq!(Text::new(String::new()).char_len(), 0);
    }
}
