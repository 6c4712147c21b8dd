; do loops (R7RS 4.2.4).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "do builds a list" (do ((vec '() (cons i vec)) (i 0 (+ i 1))) ((= i 5) vec)))
(check "do sum"
       (let ((x '(1 3 5 7 9)))
         (do ((x x (cdr x)) (sum 0 (+ sum (car x)))) ((null? x) sum))))
(check "do with body and unstepped variable"
       (do ((i 0 (+ i 1)) (acc '())) ((= i 3) acc) (set! acc (cons i acc))))
(check "do result sequence" (do ((i 0 (+ i 1))) ((= i 3) 'a 'b)))
(check "do zero iterations" (do ((i 10 (+ i 1))) (#t i)))
(check "do steps in parallel" (do ((a 1 b) (b 2 a) (n 0 (+ n 1))) ((= n 3) (list a b))))
(check "do fresh binding per iteration"
       (let ((procs (do ((i 0 (+ i 1)) (ps '() (cons (lambda () i) ps))) ((= i 3) ps))))
         (map (lambda (p) (p)) procs)))
(check "do vector via list" (do ((i 0 (+ i 1)) (acc '() (cons (* i i) acc))) ((= i 5) (list->vector (reverse acc)))))
(check "nested do"
       (do ((i 0 (+ i 1)) (rows '() (cons (do ((j 0 (+ j 1)) (row '() (cons (* i j) row))) ((= j 3) (reverse row))) rows)))
           ((= i 3) (reverse rows))))
(check "do with no variables" (let ((n 0)) (do () ((= n 4) n) (set! n (+ n 1)))))
