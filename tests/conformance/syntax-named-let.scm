; Named let in every position: as a value inside expressions, in tail
; position, nested, under and/or, with assigned loop variables, and as a
; procedure value that escapes.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "a loop inside an expression"
       (+ 1 (let loop ((i 0) (acc 0)) (if (= i 5) acc (loop (+ i 1) (+ acc i))))))

(check "a loop as an argument and then more arguments"
       (list (let loop ((i 3) (acc '())) (if (= i 0) acc (loop (- i 1) (cons i acc)))) 'after))

(check "nested loops"
       (let outer ((i 0) (acc '()))
         (if (= i 3)
             (reverse acc)
             (outer (+ i 1)
                    (cons (let inner ((j 0) (s 0)) (if (> j i) s (inner (+ j 1) (+ s j)))) acc)))))

(check "an inner loop that continues the outer one"
       (let outer ((i 0) (out '()))
         (if (= i 3)
             (reverse out)
             (let inner ((j 0))
               (if (< j i) (inner (+ j 1)) (outer (+ i 1) (cons (* i 10) out)))))))

(check "loop under and/or"
       (list (let loop ((l '(1 3 5 6 7))) (and (pair? l) (or (even? (car l)) (loop (cdr l)))))
             (let loop ((l '(1 3 5))) (and (pair? l) (or (even? (car l)) (loop (cdr l)))))))

(check "loop under cond and case"
       (let loop ((i 0) (acc '()))
         (cond ((= i 4) (reverse acc))
               (else (case (remainder i 2)
                       ((0) (loop (+ i 1) (cons 'even acc)))
                       (else (loop (+ i 1) (cons 'odd acc))))))))

(check "loop variables assigned in the body"
       (map (lambda (f) (f))
            (let loop ((i 0) (acc '()))
              (if (= i 3)
                  (reverse acc)
                  (begin (set! i (+ i 1)) (loop i (cons (lambda () i) acc)))))))

(check "assigned loop variables, captured each iteration"
       (map (lambda (f) (f))
            (let loop ((i 0) (acc '()))
              (if (= i 3)
                  (reverse acc)
                  (let ((f (lambda () i)))
                    (set! i (* i 10))
                    (loop (+ (/ i 10) 1) (cons f acc)))))))

(check "a loop that calls itself not in tail position"
       (let loop ((n 5)) (if (= n 0) '() (cons n (loop (- n 1))))))

(check "a loop passed as a value"
       (let loop ((n 3)) (if (= n 0) (procedure? loop) (loop (- n 1)))))

(check "a loop called from a nested lambda"
       (let loop ((n 3) (acc '()))
         (if (= n 0) acc ((lambda () (loop (- n 1) (cons n acc)))))))

(check "a loop with internal definitions in its body"
       (let loop ((i 0) (acc '()))
         (define sq (* i i))
         (define (twice x) (* 2 x))
         (if (= i 4) (reverse acc) (loop (+ i 1) (cons (twice sq) acc)))))

(check "a loop inside a let body"
       (let ((k 7))
         (let loop ((i 0)) (if (< (* i k) 30) (loop (+ i 1)) i))))

(check "do with a body and no step"
       (do ((i 0 (+ i 1)) (acc '() (cons i acc))) ((= i 3) acc)))

(check "a long loop runs in constant space"
       (let loop ((i 0)) (if (< i 1000000) (loop (+ i 1)) i)))
