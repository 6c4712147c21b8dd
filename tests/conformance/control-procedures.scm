; procedure?, apply, and the mapping procedures (R7RS 6.10), several sequences at once.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "procedure? car" (procedure? car))
(check "procedure? 'car" (procedure? 'car))
(check "procedure? lambda" (procedure? (lambda (x) (* x x))))
(check "procedure? '(lambda (x) x)" (procedure? '(lambda (x) x)))
(check "call/cc procedure?" (call-with-current-continuation procedure?))
(check "apply + (list 3 4)" (apply + (list 3 4)))
(check "apply with leading args" (apply + 1 2 '(3 4 5)))
(check "apply with empty list" (apply + '()))
(check "apply list" (apply list 'a 'b '(c d)))
(check "apply lambda with rest" (apply (lambda (a . rest) (list a rest)) '(1 2 3)))
(check "apply composed" (let ((compose (lambda (f g) (lambda args (f (apply g args))))))
                          ((compose - *) 3 4)))
(check "map cadr" (map cadr '((a b) (d e) (g h))))
(check "map expt" (map (lambda (n) (expt n n)) '(1 2 3 4 5)))
(check "map + two lists" (map + '(1 2 3) '(10 20 30)))
(check "map shortest list" (map + '(1 2 3) '(4 5 6 7)))
(check "map three lists" (map list '(a b) '(1 2) '(x y)))
(check "map empty" (map car '()))
(check "map order of application"
       (let ((order '()))
         (map (lambda (x) (set! order (cons x order)) x) '(1 2 3))
         (reverse order)))
(check "for-each two lists"
       (let ((acc '()))
         (for-each (lambda (x y) (set! acc (cons (* x y) acc))) '(1 2 3) '(10 20 30 40))
         acc))
(check "for-each empty" (let ((n 0)) (for-each (lambda (x) (set! n 1)) '()) n))
(check "string-map foldcase" (string-map char-foldcase "AbdEgH"))
(check "string-map succ" (string-map (lambda (c) (integer->char (+ 1 (char->integer c)))) "HAL"))
(check "string-map two strings"
       (string-map (lambda (c k) (if (eqv? k #\u) (char-upcase c) (char-downcase c)))
                   "studlycaps xxx"
                   "ululululul"))
(check "string-for-each two strings"
       (let ((acc '()))
         (string-for-each (lambda (a b) (set! acc (cons (string a b) acc))) "abc" "xy")
         acc))
(check "string-for-each codes"
       (let ((v '()))
         (string-for-each (lambda (c) (set! v (cons (char->integer c) v))) "abcde")
         v))
(check "vector-map cadr" (vector-map cadr '#((a b) (d e) (g h))))
(check "vector-map + shortest" (vector-map + '#(1 2 3) '#(4 5 6 7)))
(check "vector-map order of application"
       (let ((order '()))
         (vector-map (lambda (x) (set! order (cons x order)) x) #(a b c))
         (reverse order)))
(check "vector-for-each two vectors"
       (let ((acc '()))
         (vector-for-each (lambda (x y) (set! acc (cons (list x y) acc))) #(1 2 3) #(a b))
         acc))
(check "vector-for-each squares"
       (let ((acc '()))
         (vector-for-each (lambda (i) (set! acc (cons (* i i) acc))) '#(0 1 2 3 4))
         (reverse acc)))
