; with-exception-handler, raise and raise-continuable (R7RS 6.11).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "raise-continuable returns handler value"
       (with-exception-handler
         (lambda (con) 42)
         (lambda () (+ (raise-continuable "should be a number") 23))))
(check "handler receives the raised object"
       (with-exception-handler
         (lambda (e) (* e 2))
         (lambda () (+ 1 (raise-continuable 20)))))
(check "no raise returns thunk value"
       (with-exception-handler (lambda (e) 'handler) (lambda () 'thunk)))
(check "raise with escaping handler"
       (call/cc (lambda (k)
                  (with-exception-handler
                    (lambda (e) (k (list 'caught e)))
                    (lambda () (raise 'oops))))))
(check "raise any object: list"
       (call/cc (lambda (k)
                  (with-exception-handler
                    (lambda (e) (k e))
                    (lambda () (raise (list 1 "two" #\3)))))))
(check "raise any object: number"
       (call/cc (lambda (k)
                  (with-exception-handler
                    (lambda (e) (k (+ e 1)))
                    (lambda () (raise 41))))))
(check "handler runs with the outer handler installed"
       (with-exception-handler
         (lambda (e) (+ e 1))
         (lambda ()
           (with-exception-handler
             (lambda (e) (* 10 (raise-continuable (+ e 1))))
             (lambda () (raise-continuable 1))))))
(check "inner handler chooses to escape"
       (call/cc (lambda (k)
                  (with-exception-handler
                    (lambda (e) 'outer-not-used)
                    (lambda ()
                      (with-exception-handler
                        (lambda (e) (k (list 'inner e)))
                        (lambda () (raise 'x))))))))
(check "handler returning from raise is an error"
       (guard (e (#t 'secondary-caught))
         (with-exception-handler
           (lambda (e) 'returned)
           (lambda () (raise 'boom)))))
(check "error object reaches handler"
       (call/cc (lambda (k)
                  (with-exception-handler
                    (lambda (e) (k (list (error-object? e) (error-object-message e) (error-object-irritants e))))
                    (lambda () (error "bad thing" 1 'two))))))
(check "several raise-continuable in sequence"
       (with-exception-handler
         (lambda (e) (* e e))
         (lambda () (list (raise-continuable 2) (raise-continuable 3) (raise-continuable 4)))))
(check "handler installed only during thunk"
       (let ((h (lambda (e) 'first)))
         (with-exception-handler h (lambda () 'ignored))
         (guard (e (#t (list 'guard e)))
           (raise 'after))))
(check "raise-continuable inside map"
       (with-exception-handler
         (lambda (e) (- e))
         (lambda () (map (lambda (x) (if (odd? x) (raise-continuable x) x)) '(1 2 3 4)))))
