; Re-entrant continuations: invoking a continuation after its call/cc has returned.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "re-enter a let binding"
       (let ((k #f) (n 0) (trace '()))
         (let ((v (call/cc (lambda (c) (set! k c) 0))))
           (set! trace (cons v trace))
           (set! n (+ n 1))
           (if (< n 4) (k (* n 10)) (reverse trace)))))

(check "re-enter an argument position"
       (let ((k #f) (results '()))
         (set! results (cons (+ 100 (call/cc (lambda (c) (set! k c) 1))) results))
         (if (< (length results) 3) (k (length results)))
         results))

(check "re-enter map"
       (let ((k #f) (count 0))
         (let ((r (map (lambda (x) (call/cc (lambda (c) (if (= x 2) (set! k c)) x))) '(1 2 3))))
           (set! count (+ count 1))
           (if (= count 1) (k 20) (list count r)))))

(define (make-generator lst)
  (define return #f)
  (define resume
    (lambda (ignored)
      (for-each (lambda (x)
                  (call/cc (lambda (next)
                             (set! resume next)
                             (return x))))
                lst)
      (return 'done)))
  (lambda ()
    (call/cc (lambda (r)
               (set! return r)
               (resume #f)))))

(check "generator"
       (let* ((g (make-generator '(a b c)))
              (x1 (g))
              (x2 (g))
              (x3 (g))
              (x4 (g))
              (x5 (g)))
         (list x1 x2 x3 x4 x5)))

(define (tree-walk tree)
  (make-generator (let flatten ((t tree))
                    (cond ((null? t) '())
                          ((pair? t) (append (flatten (car t)) (flatten (cdr t))))
                          (else (list t))))))

(define (same-fringe? a b)
  (let ((ga (tree-walk a)) (gb (tree-walk b)))
    (let loop ()
      (let* ((x (ga)) (y (gb)))
        (cond ((not (eqv? x y)) #f)
              ((eq? x 'done) #t)
              (else (loop)))))))

(check "same fringe" (same-fringe? '(1 (2 3) ((4))) '((1 2) (3 4))))
(check "different fringe" (same-fringe? '(1 (2 3)) '(1 (3 2))))

(check "re-entry keeps earlier bindings"
       (let ((k #f) (seen '()))
         (let* ((a (call/cc (lambda (c) (set! k c) 'first)))
                (b (list a)))
           (set! seen (cons b seen))
           (if (eq? a 'first) (k 'again) (reverse seen)))))
