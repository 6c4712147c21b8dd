; values and call-with-values (R7RS 6.10).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "two values to lambda" (call-with-values (lambda () (values 4 5)) (lambda (a b) b)))
(check "producer *" (call-with-values * -))
(check "zero values" (call-with-values (lambda () (values)) list))
(check "one value" (call-with-values (lambda () (values 1)) list))
(check "three values" (call-with-values (lambda () (values 1 2 3)) list))
(check "values to cons" (call-with-values (lambda () (values 1 2)) cons))
(check "consumer with rest args" (call-with-values (lambda () (values 1 2 3)) (lambda (a . r) (list a r))))
(check "single value is ordinary" (+ (values 5) 1))
(check "values from if in tail" (call-with-values (lambda () (if #t (values 'a 'b) 'c)) list))
(check "values from let body" (call-with-values (lambda () (let ((x 1)) (values x (+ x 1)))) list))
(check "values from begin" (call-with-values (lambda () (begin 'ignored (values 7 8))) list))
(check "values through call/cc" (call-with-values (lambda () (call/cc (lambda (k) (k 1 2)))) list))
(check "values from a procedure" (let ((two (lambda () (values 'x 'y))))
                                   (call-with-values two vector)))
(check "nested call-with-values"
       (call-with-values
         (lambda () (call-with-values (lambda () (values 1 2)) (lambda (a b) (values b a))))
         list))
(check "values from exact-integer-sqrt" (call-with-values (lambda () (exact-integer-sqrt 10)) list))
