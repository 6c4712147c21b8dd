; Reader: comments, booleans, identifiers in |bars|, dotted pairs, nested data (R7RS 2, 7.1).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

; a line comment
(check "line comment" 'after-line-comment) ; trailing comment
#| a block comment |#
(check "block comment" 'after-block-comment)
#| outer #| nested |# still comment |#
(check "nested block comment" 'after-nested)
#;(check "datum comment" 'should-not-run)
(check "datum comment skipped" 'after-datum-comment)
(check "datum comment inside list" '(1 #;2 3))
(check "datum comment on nested datum" '(a #;(b c) d))
(check "block comment inside list" '(1 #| two |# 3))
(check "#true and #false" (list #true #false #t #f))
(check "|foo bar| symbol" (symbol->string '|foo bar|))
(check "|abc| is abc" (eq? '|abc| 'abc))
(check "empty list forms" (list '() '( ) (quote ())))
(check "dotted pair" '(a . b))
(check "dotted pair normalises" '(a . (b . (c))))
(check "nested data" '(1 (2 #(3 (4 . 5)) "six") #\7))
(check "case-sensitive symbols" (list 'abc 'ABC 'aBc))
(check "whitespace variety" (+ 1	2
   3))
(check "string with semicolon" ";not a comment")
(check "char semicolon" #\;)
(check "negative numbers and symbols" (list -5 '- '-> '-x))
(check "quote abbreviation" (equal? ''x '(quote x)))
(check "quasiquote abbreviation" (equal? '`x '(quasiquote x)))
(check "unquote abbreviations" (equal? '(,x ,@y) '((unquote x) (unquote-splicing y))))
(check "#!fold-case folds identifiers and character names"
       (read (open-input-string "#!fold-case (Hello :Key #\\SPACE #\\A |MiXed|)")))
(check "#!no-fold-case ends it" (read (open-input-string "#!fold-case #!no-fold-case ABC")))
#!fold-case
(DEFINE (SHOUTED-SQUARE X) (* X X))
#!no-fold-case
(check "a folded definition, used in lower case" (shouted-square 4))
(check "case matters again" (eq? 'ABC 'abc))
