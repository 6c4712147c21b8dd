//! The special forms: every name the compiler treats as syntax rather than a
//! variable, recognised once from its symbol. Core forms are compiled
//! directly; derived forms are rewritten into core forms by `derived`.

/// A special form, named by the global binding of its keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialForm {
    // Core: compiled directly.
    Quote,
    Lambda,
    Define,
    Set,
    If,
    Begin,
    Let,
    Letrec,
    LetrecStar,
    And,
    Or,
    DefineSyntax,
    LetSyntax,
    LetrecSyntax,
    CaseLambda,
    Guard,
    Import,
    // Derived: rewritten into core forms.
    Quasiquote,
    LetStar,
    When,
    Unless,
    Cond,
    Case,
    Do,
    DefineRecordType,
    Parameterize,
    Delay,
    DelayForce,
    MakePromiseLazy,
    DefineValues,
    LetValues,
    LetStarValues,
    Receive,
    Defflow,
    Assert,
}

use SpecialForm::*;

/// Every special form with its keyword.
const NAMES: &[(SpecialForm, &str)] = &[
    (Quote, "quote"),
    (Quasiquote, "quasiquote"),
    (Lambda, "lambda"),
    (Define, "define"),
    (Set, "set!"),
    (If, "if"),
    (Begin, "begin"),
    (Let, "let"),
    (LetStar, "let*"),
    (Letrec, "letrec"),
    (LetrecStar, "letrec*"),
    (And, "and"),
    (Or, "or"),
    (When, "when"),
    (Unless, "unless"),
    (Cond, "cond"),
    (Case, "case"),
    (Do, "do"),
    (DefineSyntax, "define-syntax"),
    (LetSyntax, "let-syntax"),
    (LetrecSyntax, "letrec-syntax"),
    (DefineRecordType, "define-record-type"),
    (CaseLambda, "case-lambda"),
    (Parameterize, "parameterize"),
    (Guard, "guard"),
    (Delay, "delay"),
    (DelayForce, "delay-force"),
    (MakePromiseLazy, "make-promise-lazy"),
    (DefineValues, "define-values"),
    (LetValues, "let-values"),
    (LetStarValues, "let*-values"),
    (Receive, "receive"),
    (Import, "import"),
    (Defflow, "defflow"),
    (Assert, "assert"),
];

impl SpecialForm {
    /// The form a global keyword names, if it names one.
    pub fn of(name: &str) -> Option<SpecialForm> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }

    /// Every keyword, for completion.
    pub fn names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_named_once_and_found_by_its_name() {
        for (form, name) in NAMES {
            assert_eq!(SpecialForm::of(name), Some(*form));
            assert_eq!(form.name(), *name);
        }
        let mut names: Vec<_> = SpecialForm::names().collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
    }
}
