; delay, force, delay-force, make-promise, promise? (R7RS 4.2.5).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define integers
  (letrec ((next (lambda (n) (delay (cons n (next (+ n 1)))))))
    (next 0)))
(define (head stream) (car (force stream)))
(define (tail stream) (cdr (force stream)))

(define (stream-filter p? s)
  (delay-force
    (if (null? (force s))
        (delay '())
        (let ((h (car (force s)))
              (t (cdr (force s))))
          (if (p? h)
              (delay (cons h (stream-filter p? t)))
              (stream-filter p? t))))))

(define (loop n)
  (delay-force (if (= n 0) (delay 'bottom) (loop (- n 1)))))

(check "force delay" (force (delay (+ 1 2))))
(check "force twice" (let ((p (delay (+ 1 2)))) (list (force p) (force p))))
(check "evaluated once"
       (let* ((count 0)
              (p (delay (begin (set! count (+ count 1)) count))))
         (force p)
         (force p)
         (list (force p) count)))
(check "not evaluated until forced"
       (let* ((count 0)
              (p (delay (set! count (+ count 1)))))
         count))
(check "stream head" (head (tail (tail integers))))
(check "stream-filter" (head (tail (tail (stream-filter odd? integers)))))
(check "reentrant force"
       (let ()
         (define x 5)
         (define count 0)
         (define p
           (delay (begin (set! count (+ count 1))
                         (if (> count x)
                             count
                             (force p)))))
         (let ((first (force p)))
           (set! x 10)
           (list first (force p)))))
(check "delay-force chain" (force (loop 10)))
(check "delay-force runs in constant space" (force (loop 100000)))
(check "promise? delay" (promise? (delay 1)))
(check "promise? delay-force" (promise? (delay-force (delay 1))))
(check "promise? make-promise" (promise? (make-promise 1)))
(check "promise? non-promise" (map promise? (list 1 'a "s" (lambda () 1) '())))
(check "force make-promise" (force (make-promise 'ready)))
(check "make-promise of a promise"
       (let ((p (delay 'inner)))
         (eq? p (make-promise p))))
(check "force list value" (force (delay (list 1 2 3))))
(check "promise captures environment"
       (let ((ps (map (lambda (i) (delay (* i 10))) '(1 2 3))))
         (map force ps)))
