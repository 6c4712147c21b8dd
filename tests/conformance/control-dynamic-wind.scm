; dynamic-wind ordering, including exits and re-entries through call/cc.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define trace '())
(define (note x) (set! trace (cons x trace)))
(define (take-trace) (let ((t (reverse trace))) (set! trace '()) t))

(check "value of dynamic-wind"
       (dynamic-wind (lambda () #f) (lambda () 'during) (lambda () #f)))

(dynamic-wind (lambda () (note 'before)) (lambda () (note 'during)) (lambda () (note 'after)))
(check "simple order" (take-trace))

(dynamic-wind
  (lambda () (note 'before-1))
  (lambda ()
    (dynamic-wind (lambda () (note 'before-2)) (lambda () (note 'during)) (lambda () (note 'after-2))))
  (lambda () (note 'after-1)))
(check "nested order" (take-trace))

(note (call/cc
        (lambda (k)
          (dynamic-wind
            (lambda () (note 'before-1))
            (lambda ()
              (dynamic-wind
                (lambda () (note 'before-2))
                (lambda () (k 'escaped) (note 'not-reached))
                (lambda () (note 'after-2))))
            (lambda () (note 'after-1))))))
(check "escape runs after thunks inside out" (take-trace))

(check "connect talk disconnect"
       (let ((path '())
             (c #f))
         (let ((add (lambda (s) (set! path (cons s path)))))
           (dynamic-wind
             (lambda () (add 'connect))
             (lambda () (add (call-with-current-continuation (lambda (c0) (set! c c0) 'talk1))))
             (lambda () (add 'disconnect)))
           (if (< (length path) 4)
               (c 'talk2)
               (reverse path)))))

(let ((k #f) (n 0))
  (dynamic-wind
    (lambda () (note 'in-1))
    (lambda ()
      (dynamic-wind
        (lambda () (note 'in-2))
        (lambda () (call/cc (lambda (c) (set! k c))) (note 'body))
        (lambda () (note 'out-2))))
    (lambda () (note 'out-1)))
  (set! n (+ n 1))
  (if (< n 2) (k 'again)))
(check "re-entry runs before thunks outside in" (take-trace))

(let ((k #f) (done #f))
  (dynamic-wind
    (lambda () (note 'a-in))
    (lambda () (call/cc (lambda (c) (set! k c))))
    (lambda () (note 'a-out)))
  (if (not done)
      (dynamic-wind
        (lambda () (note 'b-in))
        (lambda () (set! done #t) (k 'jump))
        (lambda () (note 'b-out)))))
(check "jump from one extent into another" (take-trace))

(check "before runs before thunk, after sees result"
       (let ((log '()))
         (let ((r (dynamic-wind
                    (lambda () (set! log (cons 'before log)))
                    (lambda () (set! log (cons 'thunk log)) 42)
                    (lambda () (set! log (cons 'after log))))))
           (list r (reverse log)))))

(guard (e (#t (note (list 'handler e))))
  (dynamic-wind
    (lambda () (note 'before))
    (lambda () (raise 'oops))
    (lambda () (note 'after))))
(check "guard unwinds before its clause runs" (take-trace))

(note (call/cc
        (lambda (k)
          (with-exception-handler
            (lambda (e) (note (list 'handler e)) (k 'escaped))
            (lambda ()
              (dynamic-wind
                (lambda () (note 'before))
                (lambda () (raise 'oops))
                (lambda () (note 'after))))))))
(check "handler runs inside the extent of raise" (take-trace))
