; define-values, let-values, let*-values (R7RS 4.2.2, 5.3.3).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define-values (q r) (floor/ 17 5))
(define-values (head . tail) (values 1 2 3))
(define-values all (values 'a 'b))

(check "top-level define-values" (list q r))
(check "top-level dotted define-values" (list head tail))
(check "top-level whole define-values" all)
(check "define-values none" (let () (define-values () (values)) 'ok))
(check "define-values one" (let () (define-values (x) (values 1)) x))
(check "define-values rest" (let () (define-values x (values 1 2)) (apply + x)))
(check "define-values two" (let () (define-values (x y) (values 1 2)) (+ x y)))
(check "define-values three" (let () (define-values (x y z) (values 1 2 3)) (+ x y z)))
(check "define-values dotted" (let () (define-values (x y . z) (values 1 2 3 4)) (+ x y (car z) (cadr z))))
(check "let-values"
       (let-values (((root rem) (exact-integer-sqrt 32)))
         (* root rem)))
(check "let-values several"
       (let-values (((a b) (values 1 2)) ((c) (values 3)))
         (list a b c)))
(check "let-values rest formals" (let-values (((a . rest) (values 1 2 3))) (list a rest)))
(check "let-values whole formals" (let-values ((all (values 1 2))) all))
(check "let-values inits see outer scope"
       (let ((a 'a) (b 'b) (x 'x) (y 'y))
         (let-values (((a b) (values x y))
                      ((x y) (values a b)))
           (list a b x y))))
(check "let*-values sequential"
       (let ((a 'a) (b 'b) (x 'x) (y 'y))
         (let*-values (((a b) (values x y))
                       ((x y) (values a b)))
           (list a b x y))))
(check "let*-values with big sqrt"
       (let*-values (((root rem) (exact-integer-sqrt (expt 2 119))))
         (list root rem)))
(check "let-values empty" (let-values () 'empty))
(check "let-values zero values" (let-values ((() (values))) 'none))
