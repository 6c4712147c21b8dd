; call/cc used for escaping (R7RS 6.10).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define list-length
  (lambda (obj)
    (call-with-current-continuation
      (lambda (return)
        (letrec ((r
                  (lambda (obj)
                    (cond ((null? obj) 0)
                          ((pair? obj)
                           (+ (r (cdr obj)) 1))
                          (else (return #f))))))
          (r obj))))))

(check "escape from for-each"
       (call-with-current-continuation
         (lambda (exit)
           (for-each (lambda (x) (if (negative? x) (exit x))) '(54 0 37 -3 245 19))
           #t)))
(check "no escape" (call/cc (lambda (k) 'normal)))
(check "list-length proper" (list-length '(1 2 3 4)))
(check "list-length improper" (list-length '(a b . c)))
(check "escape discards pending work" (+ 1 (call/cc (lambda (k) (* 100 (k 1))))))
(check "escape from nested calls"
       (call/cc (lambda (k)
                  (define (walk x) (if (= x 3) (k 'found-3) (walk (+ x 1))))
                  (walk 0))))
(check "escape from map" (call/cc (lambda (k) (map (lambda (x) (if (= x 2) (k 'stopped) x)) '(1 2 3)))))
(check "escape from vector-map" (call/cc (lambda (k) (vector-map (lambda (x) (if (eq? x 'b) (k x) x)) #(a b c)))))
(check "continuation is a procedure" (call/cc (lambda (k) (procedure? k))))
(check "continuation passed out and called once"
       (let ((result '()))
         (let ((v (call/cc (lambda (k) k))))
           (if (procedure? v)
               (v 'second-time)
               (set! result v)))
         result))
(check "escape from deep recursion"
       (call/cc (lambda (k)
                  (let loop ((n 0))
                    (if (= n 10000) (k n) (+ 1 (loop (+ n 1))))))))
(check "escape value through apply" (call/cc (lambda (k) (apply k '(applied)))))
