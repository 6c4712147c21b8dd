; case-lambda (R7RS 4.2.9).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define plus
  (case-lambda
    (() 0)
    ((x) x)
    ((x y) (+ x y))
    ((x y z) (+ (+ x y) z))
    (args (apply + args))))

(define mult
  (case-lambda
    (() 1)
    ((x) x)
    ((x y) (* x y))
    ((x y . z) (apply mult (* x y) z))))

(define range
  (case-lambda
    ((e) (range 0 e))
    ((b e) (do ((r '() (cons e r)) (e (- e 1) (- e 1))) ((< e b) r)))))

(define which
  (case-lambda
    ((a) 'one)
    ((a b) 'two)
    ((a . rest) (list 'many (length rest)))))

(check "plus 0" (plus))
(check "plus 1" (plus 1))
(check "plus 2" (plus 1 2))
(check "plus 3" (plus 1 2 3))
(check "plus 4" (plus 1 2 3 4))
(check "mult 0" (mult))
(check "mult 1" (mult 1))
(check "mult 2" (mult 1 2))
(check "mult 3" (mult 1 2 3))
(check "mult 4" (mult 1 2 3 4))
(check "range 1 arg" (range 3))
(check "range 2 args" (range 3 5))
(check "first matching clause" (list (which 1) (which 1 2) (which 1 2 3)))
(check "case-lambda is a procedure" (procedure? plus))
(check "case-lambda closure"
       (let ((n 10))
         (let ((f (case-lambda (() n) ((m) (+ n m)))))
           (list (f) (f 5)))))
(check "case-lambda with apply" (apply plus '(1 2 3 4 5)))
