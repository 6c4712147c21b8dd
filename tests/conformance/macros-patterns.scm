; syntax-rules patterns: nested ellipsis, vectors, dotted tails, tail patterns, custom ellipsis.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define-syntax table
  (syntax-rules ()
    ((_ (key val ...) ...) (list (cons 'key (list val ...)) ...))))

(define-syntax my-let
  (syntax-rules ()
    ((_ ((name val) ...) body1 body2 ...) ((lambda (name ...) body1 body2 ...) val ...))))

(define-syntax vec-elements
  (syntax-rules ()
    ((_ #(a ...)) (list a ...))))

(define-syntax vec-first-rest
  (syntax-rules ()
    ((_ #(a b ...)) (list a (list b ...)))))

(define-syntax to-vector
  (syntax-rules ()
    ((_ a ...) #(a ...))))

(define-syntax head-and-rest
  (syntax-rules ()
    ((_ a . rest) (list a 'rest))))

(define-syntax last-of
  (syntax-rules ()
    ((_ a ... b) b)))

(define-syntax middle
  (syntax-rules ()
    ((_ first m ... last) (list m ...))))

(define-syntax my-list2
  (syntax-rules ::: ()
    ((_ x :::) (list x :::))))

(define-syntax def-lister
  (syntax-rules ::: ()
    ((_ name) (define-syntax name
                (syntax-rules ()
                  ((_ x ...) (list 'name x ...)))))))

(define-syntax be-like-begin
  (syntax-rules ()
    ((be-like-begin name)
     (define-syntax name
       (syntax-rules ()
         ((name expr (... ...))
          (begin expr (... ...))))))))

(define-syntax arrow
  (syntax-rules (=>)
    ((_ a => b) (list 'to a b))
    ((_ a b) (list 'plain a b))))

(define-syntax pairs
  (syntax-rules ()
    ((_ (a b) ...) (list (list 'b a) ...))))

(define-syntax nested-sum
  (syntax-rules ()
    ((_ (x ...) ...) (list (+ x ...) ...))))

(def-lister lister)
(be-like-begin sequence)

(check "nested ellipsis" (table (x 1 2) (y) (z 3)))
(check "my-let via lambda" (my-let ((a 1) (b 2)) (+ a b)))
(check "vector pattern" (vec-elements #(1 2 3)))
(check "vector pattern empty" (vec-elements #()))
(check "vector pattern with head" (vec-first-rest #(1 2 3)))
(check "vector template" (to-vector 1 2 3))
(check "dotted pattern" (head-and-rest 1 2 3))
(check "dotted pattern empty rest" (head-and-rest 1))
(check "ellipsis followed by pattern" (last-of 1 2 3))
(check "ellipsis between patterns" (middle 1 2 3 4))
(check "ellipsis between, none" (middle 1 4))
(check "custom ellipsis" (my-list2 1 2 3))
(check "custom ellipsis leaves ... to inner macro" (lister 1 2))
(check "(... ...) escape" (sequence 1 2 3 4))
(check "literal => matches" (arrow 1 => 2))
(check "literal falls through" (arrow 1 2))
(check "list subpatterns" (pairs (1 a) (2 b)))
(check "nested ellipsis sums" (nested-sum (1 2 3) () (10 20)))
