; Hygiene: identifiers a macro introduces do not capture, and are not captured by, user code.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define-syntax swap!
  (syntax-rules ()
    ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))

(define-syntax my-or
  (syntax-rules ()
    ((_) #f)
    ((_ e) e)
    ((_ e1 e2 ...) (let ((temp e1)) (if temp temp (my-or e2 ...))))))

(define-syntax repeat
  (syntax-rules ()
    ((_ n body ...) (let loop ((i 0)) (when (< i n) body ... (loop (+ i 1)))))))

(define-syntax with-one
  (syntax-rules ()
    ((_ body) (let ((one 1)) (list one body)))))

(define global-x 'global)
(define-syntax get-x
  (syntax-rules ()
    ((_) global-x)))

(define-syntax make-pair-list
  (syntax-rules ()
    ((_ a b) (list a b))))

(check "swap! plain" (let ((x 1) (y 2)) (swap! x y) (list x y)))
(check "swap! user variable named tmp" (let ((tmp 1) (y 2)) (swap! tmp y) (list tmp y)))
(check "swap! other order" (let ((tmp 'a) (other 'b)) (swap! other tmp) (list tmp other)))
(check "my-or user variable named temp" (let ((temp 5)) (my-or #f temp)))
(check "my-or first value" (let ((temp 5)) (my-or 7 temp)))
(check "my-or complete" (let ((x #f) (y 7) (temp 8)) (my-or x y)))
(check "repeat with user i and loop"
       (let ((i 10) (count 0) (loop 'user-loop))
         (repeat 3 (set! count (+ count i)))
         (list count loop)))
(check "introduced binding does not capture" (let ((one 'user)) (with-one one)))
(check "free identifier refers to definition site" (let ((global-x 'local)) (get-x)))
(check "macro's list is the global list" (let ((list vector)) (make-pair-list 1 2)))
(check "referential transparency with let-syntax"
       (let ((x 'outer))
         (let-syntax ((m (syntax-rules () ((m) x))))
           (let ((x 'inner))
             (m)))))
(check "internal define-syntax swap!"
       (let ((x 1) (y 2))
         (define-syntax swap!
           (syntax-rules ()
             ((swap! a b)
              (let ((tmp a))
                (set! a b)
                (set! b tmp)))))
         (swap! x y)
         (list x y)))
