; skein data is immutable, but variables are not: set! works on global, local and captured
; variables, and rebinding a variable never changes a value other variables still hold.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define counter 0)
(set! counter (+ counter 1))
(set! counter (+ counter 1))

(define a (list 1 2))
(define b a)
(set! a (cons 0 a))

(define (greet) 'hello)
(define (call-greet) (greet))

(define (make-account balance)
  (define (deposit! n) (set! balance (+ balance n)) balance)
  (define (balance-of) balance)
  (list deposit! balance-of))

(check "global set!" counter)
(check "rebinding keeps the old list" (list a b))
(check "old list is still shared" (eq? b (cdr a)))
(check "before set! of a procedure" (call-greet))
(set! greet (lambda () 'bye))
(check "after set! of a procedure" (call-greet))
(check "local set!" (let ((x 1)) (set! x (* x 10)) x))
(check "set! of a parameter" ((lambda (n) (set! n (+ n 1)) n) 41))
(check "closures share a captured variable"
       (let* ((acct (make-account 100))
              (deposit! (car acct))
              (balance-of (cadr acct)))
         (deposit! 10)
         (deposit! 5)
         (balance-of)))
(check "separate closures, separate state"
       (let ((a1 (make-account 0)) (a2 (make-account 0)))
         ((car a1) 1)
         ((car a2) 50)
         (list ((cadr a1)) ((cadr a2)))))
(check "set! in a loop"
       (let ((total 0))
         (for-each (lambda (x) (set! total (+ total x))) '(1 2 3 4))
         total))
(check "set! in do body"
       (let ((acc '()))
         (do ((i 0 (+ i 1))) ((= i 3)) (set! acc (cons i acc)))
         acc))
(check "set! visible to earlier closure"
       (let* ((x 'before)
              (get (lambda () x)))
         (set! x 'after)
         (get)))
(check "set! of internal define"
       (let ()
         (define v 1)
         (set! v (+ v 1))
         v))
(check "set! string variable leaves the old string"
       (let* ((s "abc") (t s))
         (set! s (string-append s "def"))
         (list s t)))
(check "set! vector variable leaves the old vector"
       (let* ((v (vector 1 2 3)) (w v))
         (set! v (vector-map (lambda (x) (* x 10)) v))
         (list v w)))
(check "functional update of a list"
       (let* ((xs (list 1 2 3))
              (ys (cons 0 (cdr xs))))
         (list xs ys)))
