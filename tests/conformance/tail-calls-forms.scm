; Tail positions of the binding forms, begin, case-lambda and the procedures that must
; tail-call (apply, call/cc, call-with-values): 1,000,000 calls each.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define (via-let n) (let ((m (- n 1))) (if (< m 0) 'let-done (via-let m))))
(define (via-let* n) (let* ((a n) (m (- a 1))) (if (< m 0) 'let*-done (via-let* m))))
(define (via-letrec n) (letrec ((m (- n 1))) (if (< m 0) 'letrec-done (via-letrec m))))
(define (via-begin n) (begin 'ignored (if (= n 0) 'begin-done (via-begin (- n 1)))))
(define (via-let-values n)
  (let-values (((m done) (values (- n 1) (= n 0))))
    (if done 'let-values-done (via-let-values m))))
(define via-case-lambda
  (case-lambda
    ((n) (via-case-lambda n 'case-lambda-done))
    ((n result) (if (= n 0) result (via-case-lambda (- n 1) result)))))
(define (via-apply n) (if (= n 0) 'apply-done (apply via-apply (list (- n 1)))))
(define (via-callcc n) (if (= n 0) 'callcc-done (call/cc (lambda (k) (via-callcc (- n 1))))))
(define (via-call-with-values n)
  (if (= n 0)
      'call-with-values-done
      (call-with-values (lambda () (- n 1)) via-call-with-values)))
(define (via-do n) (do ((i 0 (+ i 1))) ((= i 1) (if (= n 0) 'do-done (via-do (- n 1))))))
(define (via-named-let n)
  (let inner ((k 1))
    (if (= n 0) 'named-let-done (via-named-let (- n k)))))

(check "let" (via-let 1000000))
(check "let*" (via-let* 1000000))
(check "letrec" (via-letrec 1000000))
(check "begin" (via-begin 1000000))
(check "let-values" (via-let-values 1000000))
(check "case-lambda" (via-case-lambda 1000000))
(check "apply" (via-apply 1000000))
(check "call/cc" (via-callcc 1000000))
(check "call-with-values" (via-call-with-values 1000000))
(check "do result" (via-do 1000000))
(check "named let body" (via-named-let 1000000))
