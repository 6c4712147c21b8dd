; guard: clauses with =>, else, re-raising when no clause matches (R7RS 4.2.7).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "guard catches raise" (guard (e (#t (list 'caught e))) (raise 'boom)))
(check "guard with =>"
       (guard (condition
                ((assq 'a condition) => cdr)
                ((assq 'b condition)))
         (raise (list (cons 'a 42)))))
(check "guard test-only clause"
       (guard (condition
                ((assq 'a condition) => cdr)
                ((assq 'b condition)))
         (raise (list (cons 'b 23)))))
(check "guard else" (guard (e ((symbol? e) 'sym) (else (list 'other e))) (raise 42)))
(check "guard first matching clause" (guard (e ((number? e) 'number) ((integer? e) 'integer)) (raise 7)))
(check "guard body value when nothing raised" (guard (e (#t 'no)) 'body-value))
(check "guard body with several forms" (guard (e (#t 'no)) (define x 1) (+ x 1)))
(check "guard clause with several forms" (guard (e (#t 'first (list 'second e))) (raise 'z)))
(check "nested guard: inner does not match"
       (guard (e ((string? e) (list 'outer e)))
         (guard (e2 ((number? e2) 'inner))
           (raise "str"))))
(check "nested guard: inner matches"
       (guard (e ((string? e) (list 'outer e)))
         (guard (e2 ((number? e2) (list 'inner e2)))
           (raise 5))))
(check "error inside guard re-raised to outer"
       (guard (e ((error-object? e) (list 'outer (error-object-message e) (error-object-irritants e))))
         (guard (e2 ((symbol? e2) 'sym))
           (error "deep error" 'x 2))))
(check "raise from a clause body goes outward"
       (guard (o (#t (list 'outer o)))
         (guard (i (#t (raise (list 'wrapped i))))
           (raise 'x))))
(check "re-raise is continuable in the original context"
       (with-exception-handler
         (lambda (e) 10)
         (lambda ()
           (+ 1 (guard (e ((string? e) 'no))
                  (+ 100 (raise-continuable 5)))))))
(check "raise from a nested procedure"
       (let ((f (lambda (x) (if (> x 2) (raise (list 'too-big x)) x))))
         (guard (e ((pair? e) e))
           (map f '(1 2 3 4)))))
(check "guard catches error from car" (guard (e (#t 'caught)) (car '())))
(check "guard catches error from vector-ref" (guard (e (#t 'caught)) (vector-ref (vector 1 2) 5)))
(check "guard catches error from +" (guard (e (#t 'caught)) (+ 1 "a")))
(check "guard catches error from applying a non-procedure" (guard (e (#t 'caught)) (5 3)))
(check "guard in a loop"
       (let loop ((i 0) (acc '()))
         (if (= i 4)
             (reverse acc)
             (loop (+ i 1)
                   (cons (guard (e ((symbol? e) e)) (if (even? i) (raise 'even) i)) acc)))))
(check "guard => with error object"
       (guard (e ((and (error-object? e) (error-object-irritants e)) => car))
         (error "msg" 'first 'second)))
