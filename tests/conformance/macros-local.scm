; let-syntax, letrec-syntax and internal define-syntax (R7RS 4.3.1).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define-syntax shadowed
  (syntax-rules ()
    ((_) 'global-macro)))

(check "let-syntax"
       (let-syntax ((double (syntax-rules () ((_ e) (* 2 e)))))
         (double 21)))
(check "let-syntax several"
       (let-syntax ((inc (syntax-rules () ((_ e) (+ e 1))))
                    (dec (syntax-rules () ((_ e) (- e 1)))))
         (list (inc 1) (dec 1))))
(check "let-syntax shadows a global macro"
       (let-syntax ((shadowed (syntax-rules () ((_) 'local-macro))))
         (shadowed)))
(check "global macro again" (shadowed))
(check "letrec-syntax recursive"
       (letrec-syntax
           ((my-or (syntax-rules ()
                     ((my-or) #f)
                     ((my-or e) e)
                     ((my-or e1 e2 ...)
                      (let ((temp e1))
                        (if temp temp (my-or e2 ...)))))))
         (let ((x #f) (y 7) (temp 8))
           (my-or x (let ((z temp)) #f) y))))
(check "letrec-syntax mutual"
       (letrec-syntax
           ((ev? (syntax-rules () ((_) #t) ((_ x . r) (od? . r))))
            (od? (syntax-rules () ((_) #f) ((_ x . r) (ev? . r)))))
         (list (ev? a b c d) (ev? a b c) (od? a))))
(check "internal define-syntax"
       (let ()
         (define-syntax sq (syntax-rules () ((_ e) (* e e))))
         (define y (sq 4))
         (+ y 1)))
(check "macro-defining macro in a body"
       (let ()
         (define-syntax def-getter
           (syntax-rules ()
             ((_ name val) (define (name) val))))
         (def-getter get-five 5)
         (get-five)))
(check "let-syntax macro using an outer variable"
       (let ((base 100))
         (let-syntax ((add-base (syntax-rules () ((_ e) (+ base e)))))
           (let ((b 1))
             (add-base b)))))
