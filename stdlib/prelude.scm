;;; prelude.scm -- standard procedures written in skein itself.
;;;
;;; Everything here that takes a procedure argument is written in Scheme on
;;; purpose: the callback then runs on the machine's own continuation, so a
;;; call/cc or a flow's `request` inside it captures and resumes correctly.
;;; Loops are iterative (accumulate, then reverse) so million-element lists
;;; need no deep continuation, and nothing is mutated, so a continuation
;;; re-entered inside a callback sees a consistent state.

(define (%any-null? lists)
  (if (null? lists) #f (if (null? (car lists)) #t (%any-null? (cdr lists)))))

(define (%cars lists)
  (let loop ((ls lists) (acc '()))
    (if (null? ls) (reverse acc) (loop (cdr ls) (cons (car (car ls)) acc)))))

(define (%cdrs lists)
  (let loop ((ls lists) (acc '()))
    (if (null? ls) (reverse acc) (loop (cdr ls) (cons (cdr (car ls)) acc)))))

(define (map f l . ls)
  (if (null? ls)
      (let loop ((l l) (acc '()))
        (if (pair? l)
            (loop (cdr l) (cons (f (car l)) acc))
            (reverse acc)))
      (let loop ((ls (cons l ls)) (acc '()))
        (if (%any-null? ls)
            (reverse acc)
            (loop (%cdrs ls) (cons (apply f (%cars ls)) acc))))))

(define (for-each f l . ls)
  (if (null? ls)
      (let loop ((l l))
        (if (pair? l)
            (begin (f (car l)) (loop (cdr l)))))
      (let loop ((ls (cons l ls)))
        (if (not (%any-null? ls))
            (begin (apply f (%cars ls)) (loop (%cdrs ls)))))))

(define (append-map f l . ls)
  (apply append (apply map f l ls)))

(define (filter keep? l)
  (let loop ((l l) (acc '()))
    (cond ((null? l) (reverse acc))
          ((keep? (car l)) (loop (cdr l) (cons (car l) acc)))
          (else (loop (cdr l) acc)))))

(define (remove drop? l)
  (filter (lambda (x) (not (drop? x))) l))

(define (partition keep? l)
  (let loop ((l l) (in '()) (out '()))
    (cond ((null? l) (values (reverse in) (reverse out)))
          ((keep? (car l)) (loop (cdr l) (cons (car l) in) out))
          (else (loop (cdr l) in (cons (car l) out))))))

(define (fold kons knil l . ls)
  (if (null? ls)
      (let loop ((l l) (acc knil))
        (if (pair? l) (loop (cdr l) (kons (car l) acc)) acc))
      (let loop ((ls (cons l ls)) (acc knil))
        (if (%any-null? ls)
            acc
            (loop (%cdrs ls) (apply kons (append (%cars ls) (list acc))))))))

(define (fold-left f acc l . ls)
  (if (null? ls)
      (let loop ((l l) (acc acc))
        (if (pair? l) (loop (cdr l) (f acc (car l))) acc))
      (let loop ((ls (cons l ls)) (acc acc))
        (if (%any-null? ls)
            acc
            (loop (%cdrs ls) (apply f acc (%cars ls)))))))

(define (fold-right f acc l . ls)
  (if (null? ls)
      (let loop ((l (reverse l)) (acc acc))
        (if (pair? l) (loop (cdr l) (f (car l) acc)) acc))
      (let loop ((rows (reverse (apply map list l ls))) (acc acc))
        (if (pair? rows)
            (loop (cdr rows) (apply f (append (car rows) (list acc))))
            acc))))

(define (reduce f ridentity l)
  (if (null? l) ridentity (fold f (car l) (cdr l))))

(define (find pred l)
  (cond ((null? l) #f)
        ((pred (car l)) (car l))
        (else (find pred (cdr l)))))

(define (find-tail pred l)
  (cond ((null? l) #f)
        ((pred (car l)) l)
        (else (find-tail pred (cdr l)))))

(define (list-index pred l)
  (let loop ((l l) (i 0))
    (cond ((null? l) #f)
          ((pred (car l)) i)
          (else (loop (cdr l) (+ i 1))))))

(define (any pred l . ls)
  (if (null? ls)
      (let loop ((l l))
        (cond ((null? l) #f)
              ((null? (cdr l)) (pred (car l)))
              ((pred (car l)) => (lambda (x) x))
              (else (loop (cdr l)))))
      (let loop ((ls (cons l ls)))
        (if (%any-null? ls)
            #f
            (or (apply pred (%cars ls)) (loop (%cdrs ls)))))))

(define (every pred l . ls)
  (if (null? ls)
      (let loop ((l l) (last #t))
        (cond ((null? l) last)
              ((pred (car l)) => (lambda (x) (loop (cdr l) x)))
              (else #f)))
      (let loop ((ls (cons l ls)) (last #t))
        (if (%any-null? ls)
            last
            (let ((r (apply pred (%cars ls))))
              (if r (loop (%cdrs ls) r) #f))))))

(define (count pred l)
  (let loop ((l l) (n 0))
    (if (null? l) n (loop (cdr l) (if (pred (car l)) (+ n 1) n)))))

(define (member x l . compare)
  (if (null? compare)
      (%member x l)
      (let ((same? (car compare)))
        (let loop ((l l))
          (cond ((null? l) #f)
                ((same? x (car l)) l)
                (else (loop (cdr l))))))))

(define (assoc key alist . compare)
  (if (null? compare)
      (%assoc key alist)
      (let ((same? (car compare)))
        (let loop ((l alist))
          (cond ((null? l) #f)
                ((same? key (car (car l))) (car l))
                (else (loop (cdr l))))))))

(define (vector-map f v . vs)
  (list->vector (apply map f (vector->list v) (map vector->list vs))))

(define (vector-for-each f v . vs)
  (apply for-each f (vector->list v) (map vector->list vs)))

(define (string-map f s . ss)
  (list->string (apply map f (string->list s) (map string->list ss))))

(define (string-for-each f s . ss)
  (apply for-each f (string->list s) (map string->list ss)))

;; Stable merge sort. (sort list less?) as SRFI 95; (list-sort less? list) as SRFI 132.
(define (%merge a b less?)
  (let loop ((a a) (b b) (acc '()))
    (cond ((null? a) (append (reverse acc) b))
          ((null? b) (append (reverse acc) a))
          ((less? (car b) (car a)) (loop a (cdr b) (cons (car b) acc)))
          (else (loop (cdr a) b (cons (car a) acc))))))

(define (sort seq less?)
  (if (vector? seq)
      (list->vector (sort (vector->list seq) less?))
      (let loop ((runs (map list seq)))
        (cond ((null? runs) '())
              ((null? (cdr runs)) (car runs))
              (else
               (loop (let pair-up ((rs runs) (acc '()))
                       (cond ((null? rs) (reverse acc))
                             ((null? (cdr rs)) (reverse (cons (car rs) acc)))
                             (else (pair-up (cddr rs)
                                            (cons (%merge (car rs) (cadr rs) less?) acc)))))))))))

(define (list-sort less? l) (sort l less?))
(define (vector-sort less? v) (sort v less?))

(define (map-update m k f . default)
  (map-set m k (f (apply map-get m k default))))

(define (char-ascii? c) (< (char->integer c) 128))

;; Time, randomness and sleeping are requests: the host answers them, and the
;; answers are in the replay log, so a flow replays deterministically.
(define (flow/now) (request 'now '()))
(define (flow/random n) (request 'random n))
(define (flow/sleep seconds) (request 'sleep seconds))

;; R7RS 6.13: run proc with a port, then close it.
(define (call-with-port port proc)
  (call-with-values (lambda () (proc port))
    (lambda results (close-port port) (apply values results))))

;; R7RS 6.12: eval ignores its environment argument (there is one global
;; environment), so the environment procedures return tokens.
(define (environment . specs) 'environment)
(define (interaction-environment) 'interaction-environment)
(define (scheme-report-environment version) 'environment)
(define (null-environment version) 'environment)
