; make-parameter and parameterize (R7RS 4.2.6).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define radix
  (make-parameter
    10
    (lambda (x)
      (if (and (exact-integer? x) (<= 2 x 16))
          x
          (error "invalid radix")))))
(define (f n) (number->string n (radix)))

(define p (make-parameter 1))
(define converted (make-parameter 5 (lambda (x) (* x 2))))
(define conversions '())
(define logged (make-parameter 'init (lambda (x) (set! conversions (cons x conversions)) x)))

(check "initial value" (p))
(check "radix default" (f 12))
(check "parameterize" (parameterize ((radix 2)) (f 12)))
(check "restored after parameterize" (f 12))
(check "converter applied to initial value" (converted))
(check "converter applied in parameterize" (parameterize ((converted 7)) (converted)))
(check "value restored without converting again" (converted))
(check "converter calls" (begin (parameterize ((logged 'a)) (logged)) (reverse conversions)))
(check "nested parameterize"
       (parameterize ((p 2))
         (let ((outer (p)))
           (parameterize ((p 3))
             (list outer (p))))))
(check "several parameters at once"
       (parameterize ((p 'x) (radix 16))
         (list (p) (f 255))))
(check "body sequence" (parameterize ((p 'a)) 'ignored (p)))
(check "dynamic, not lexical"
       (let ((get (lambda () (p))))
         (parameterize ((p 'dynamic)) (get))))
(check "closure created inside sees value at call time"
       (let ((get (parameterize ((p 'inside)) (lambda () (p)))))
         (get)))
(check "restored after escape"
       (begin
         (call/cc (lambda (k) (parameterize ((p 'escaping)) (k 'out))))
         (p)))
(check "restored after error"
       (begin
         (guard (e (#t 'caught)) (parameterize ((p 'erroring)) (raise 'boom)))
         (p)))
(check "converter error in parameterize is catchable"
       (guard (e ((error-object? e) (error-object-message e)))
         (parameterize ((radix 99)) (f 1))))
(check "parameter is a procedure" (procedure? p))
