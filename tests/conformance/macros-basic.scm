; syntax-rules basics: literals, ellipsis, wildcard, recursion, several rules (R7RS 4.3).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define-syntax my-if
  (syntax-rules (then else)
    ((_ c then t else e) (if c t e))
    ((_ c then t) (if c t #f))))

(define-syntax my-list
  (syntax-rules ()
    ((_ x ...) (list x ...))))

(define-syntax my-and
  (syntax-rules ()
    ((_) #t)
    ((_ e) e)
    ((_ e1 e2 ...) (if e1 (my-and e2 ...) #f))))

(define-syntax my-let*
  (syntax-rules ()
    ((_ () body ...) (let () body ...))
    ((_ ((x v) rest ...) body ...) (let ((x v)) (my-let* (rest ...) body ...)))))

(define-syntax while
  (syntax-rules ()
    ((_ cond body ...) (let lp () (when cond body ... (lp))))))

(define-syntax second-of
  (syntax-rules ()
    ((_ _ b . _) b)))

(define-syntax classify
  (syntax-rules ()
    ((_ 1) 'one)
    ((_ "two") 'two)
    ((_ #t) 'true)
    ((_ (a b)) 'pair-of-two)
    ((_ x) 'other)))

(define-syntax def-const
  (syntax-rules ()
    ((_ name value) (define name value))))

(define-syntax def-twice
  (syntax-rules ()
    ((_ name) (define (name x) (* 2 x)))))

(define-syntax count-args
  (syntax-rules ()
    ((_) 0)
    ((_ x rest ...) (+ 1 (count-args rest ...)))))

(def-const the-answer 42)
(def-twice double)

(check "literal then/else" (my-if #t then 'yes else 'no))
(check "literal, second rule" (my-if #f then 'yes))
(check "ellipsis" (my-list 1 2 (+ 1 2)))
(check "ellipsis zero matches" (my-list))
(check "recursive macro" (my-and 1 2 3))
(check "recursive macro false" (my-and 1 #f 3))
(check "recursive macro empty" (my-and))
(check "my-let*" (my-let* ((a 1) (b (+ a 1)) (c (* b 10))) (list a b c)))
(check "while loop"
       (let ((i 0) (acc '()))
         (while (< i 3) (set! acc (cons i acc)) (set! i (+ i 1)))
         acc))
(check "underscore wildcard" (second-of 1 2 3 4))
(check "datum patterns" (list (classify 1) (classify "two") (classify #t) (classify (x y)) (classify 5)))
(check "macro expanding to define" the-answer)
(check "macro defining a procedure" (double 21))
(check "counting arguments" (count-args a b c d))
(check "macro use inside expression" (+ 1 (my-and 2 3)))
(check "macro arguments evaluated once"
       (let ((n 0))
         (my-list (begin (set! n (+ n 1)) n))
         n))
