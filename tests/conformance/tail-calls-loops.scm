; Proper tail calls in loops: 1,000,000 iterations must run in constant space (R7RS 3.5).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define (count-down n) (if (= n 0) 'self-done (count-down (- n 1))))

(define (sum-to n)
  (let loop ((i 0) (acc 0))
    (if (> i n) acc (loop (+ i 1) (+ acc i)))))

(check "named let" (sum-to 1000000))
(check "do" (do ((i 0 (+ i 1)) (acc 0 (+ acc 2))) ((= i 1000000) acc)))
(check "self-recursive define" (count-down 1000000))
(check "letrec loop"
       (letrec ((lp (lambda (n acc) (if (= n 0) acc (lp (- n 1) (+ acc 1))))))
         (lp 1000000 0)))
(check "internal define loop"
       (let ()
         (define (lp n) (if (= n 0) 'internal-done (lp (- n 1))))
         (lp 1000000)))
(check "lambda with rest args"
       (let ()
         (define (lp n . extra) (if (= n 0) extra (lp (- n 1) 'x)))
         (lp 1000000)))
(check "loop building a list"
       (let loop ((i 0) (acc '()))
         (if (= i 1000000) (list (length acc) (car acc)) (loop (+ i 1) (cons i acc)))))
