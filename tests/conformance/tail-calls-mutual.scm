; Mutual recursion through the tail positions of cond, and, or, when, case (1,000,000 calls each).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define (cond-ping n) (cond ((= n 0) 'cond-done) (else (cond-pong (- n 1)))))
(define (cond-pong n) (cond ((= n 0) 'cond-done) ((odd? n) (cond-ping (- n 1))) (else (cond-ping (- n 1)))))

(define (arrow-ping n) (cond ((= n 0) 'arrow-done) ((- n 1) => arrow-pong)))
(define (arrow-pong n) (cond ((= n 0) 'arrow-done) ((- n 1) => arrow-ping)))

(define (and-or-even? n) (or (= n 0) (and-or-odd? (- n 1))))
(define (and-or-odd? n) (and (not (= n 0)) (and-or-even? (- n 1))))

(define (when-ping n) (when (>= n 0) (if (= n 0) 'when-done (when-pong (- n 1)))))
(define (when-pong n) (unless (< n 0) (if (= n 0) 'when-done (when-ping (- n 1)))))

(define (case-ping n)
  (case (if (= n 0) 'stop 'go)
    ((stop) 'case-done)
    ((go) (case-pong (- n 1)))))
(define (case-pong n)
  (case (if (= n 0) 'stop 'go)
    ((stop) 'case-done)
    (else => (lambda (ignored) (case-ping (- n 1))))))

(check "cond" (cond-ping 1000000))
(check "cond =>" (arrow-ping 1000000))
(check "and/or even" (and-or-even? 1000000))
(check "and/or odd" (and-or-even? 999999))
(check "when/unless" (when-ping 1000000))
(check "case and case =>" (case-ping 1000000))
