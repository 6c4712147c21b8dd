; Variables shared between closures, loops and continuations: assignment through
; captured variables, fresh bindings per loop iteration, mutual recursion in bodies.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define c1 (make-counter))
(define c2 (make-counter))
(c1) (c1)
(check "counters are independent" (list (c1) (c2)))

(define (make-account balance)
  (define (deposit! x) (set! balance (+ balance x)) balance)
  (define (withdraw! x) (set! balance (- balance x)) balance)
  (lambda (op x) (if (eq? op 'in) (deposit! x) (withdraw! x))))
(define acct (make-account 100))
(acct 'in 50)
(check "internal procedures share an assigned parameter" (acct 'out 30))

(check "named let: each iteration binds afresh"
       (map (lambda (f) (f))
            (let loop ((i 0) (acc '()))
              (if (= i 3) (reverse acc) (loop (+ i 1) (cons (lambda () i) acc))))))

(check "do: each iteration binds afresh"
       (map (lambda (f) (f))
            (do ((i 0 (+ i 1)) (acc '() (cons (lambda () (* i i)) acc)))
                ((= i 4) (reverse acc)))))

(check "set! inside a loop body is seen by the closure"
       (let ((total 0))
         (let loop ((i 1))
           (when (<= i 10)
             (set! total (+ total i))
             (loop (+ i 1))))
         ((lambda () total))))

(define (parity n)
  (define (ev? k) (if (= k 0) #t (od? (- k 1))))
  (define (od? k) (if (= k 0) #f (ev? (- k 1))))
  (list (ev? n) (od? n)))
(check "mutually recursive internal definitions" (parity 7))

(define (scaled-sums xs k)
  (define scale (* k 10))
  (define (add acc x) (+ acc (* x scale)))
  (let loop ((xs xs) (acc 0))
    (if (null? xs) acc (loop (cdr xs) (add acc (car xs))))))
(check "internal definitions captured by a local procedure" (scaled-sums '(1 2 3) 2))

(check "letrec with a captured later binding"
       (letrec ((get-b (lambda () b)) (b 42)) (get-b)))

(check "letrec lambdas referring to each other and to the outside"
       (let ((base 5))
         (letrec ((f (lambda (n) (if (= n 0) base (g (- n 1)))))
                  (g (lambda (n) (+ 1 (f n)))))
           (f 3))))

(define adders
  (case-lambda
    ((k) (lambda (x) (+ x k)))
    ((k m) (lambda (x) (+ x k m)))))
(check "case-lambda clauses" (list ((adders 1) 10) ((adders 1 2) 10)))

(define (make-cl k)
  (case-lambda ((x) (+ x k)) ((x y) (* (+ x y) k))))
(check "case-lambda closes over its environment" (list ((make-cl 3) 1) ((make-cl 3) 1 2)))

(check "a local variable named like a primitive"
       (let ((car cdr) (+ -)) (list (car '(1 2 3)) (+ 10 3))))

(check "a parameter named like a primitive"
       ((lambda (not) (not 5)) (lambda (x) (* x 2))))

(check "call/cc re-entry sees assignments"
       (let ((k #f) (n 0))
         (call/cc (lambda (c) (set! k c)))
         (set! n (+ n 1))
         (if (< n 3) (k 'again) n)))

(check "call/cc re-entry keeps unassigned bindings"
       (let ((results '()))
         (let* ((k #f)
                (x (call/cc (lambda (c) (set! k c) 1))))
           (set! results (cons x results))
           (if (< x 3) (k (+ x 1)) (reverse results)))))

(define (deep-closures n)
  (let loop ((i 0) (f (lambda () 0)))
    (if (= i n) (f) (loop (+ i 1) (let ((g f)) (lambda () (+ 1 (g))))))))
(check "closures over closures" (deep-closures 1000))

(define x-global 1)
(define (bump-global!) (set! x-global (+ x-global 1)) x-global)
(bump-global!)
(check "global assignment" (bump-global!))

(check "nested lambdas reach three levels out"
       ((((lambda (a) (lambda (b) (lambda (c) (list a b c)))) 1) 2) 3))

(check "and/or keep their values"
       (list (and 1 2 3) (and 1 #f 3) (or #f 2 3) (or #f #f) (and) (or)))
