; define-record-type (R7RS 5.5): constructor, predicate, accessors (no modifiers).
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define-record-type <pare>
  (kons x y)
  pare?
  (x kar)
  (y kdr))

(define-record-type point
  (make-point y x)
  point?
  (x point-x)
  (y point-y))

(define-record-type <other-pare>
  (other-kons x y)
  other-pare?
  (x other-kar)
  (y other-kdr))

(define-record-type <empty>
  (make-empty)
  empty?)

(define-record-type <partial>
  (make-partial a)
  partial?
  (a partial-a)
  (b partial-b))

(check "predicate on record" (pare? (kons 1 2)))
(check "predicate on pair" (pare? (cons 1 2)))
(check "predicate on other values" (map pare? (list 1 "s" 'sym '() (vector 1 2) #f)))
(check "first accessor" (kar (kons 1 2)))
(check "second accessor" (kdr (kons 1 2)))
(check "constructor argument order follows the constructor spec" (let ((p (make-point 1 2))) (list (point-x p) (point-y p))))
(check "same shape, different type" (pare? (other-kons 1 2)))
(check "other type's predicate" (other-pare? (other-kons 1 2)))
(check "record is not a pair, vector or procedure"
       (let ((r (kons 1 2))) (list (pair? r) (vector? r) (procedure? r) (symbol? r))))
(check "fields hold any value" (kar (kons (list 'a "b" #\c) #f)))
(check "nested records" (kar (kdr (kons 1 (kons 2 3)))))
(check "no-field record" (empty? (make-empty)))
(check "constructor without every field" (partial-a (make-partial 'only-a)))
(check "partial? of partial" (partial? (make-partial 1)))
(check "constructors make distinct objects" (eq? (kons 1 2) (kons 1 2)))
(check "same object is eqv" (let ((r (kons 1 2))) (eqv? r r)))
(check "procedures" (map procedure? (list kons pare? kar kdr)))
(check "accessors via map" (map kar (list (kons 1 'a) (kons 2 'b) (kons 3 'c))))
(check "records in a list"
       (let ((ps (map (lambda (i) (make-point i (* i i))) '(1 2 3))))
         (map (lambda (p) (+ (point-x p) (point-y p))) ps)))
(check "functional update"
       (let* ((p (make-point 1 2))
              (q (make-point (point-y p) 10)))
         (list (point-x p) (point-y p) (point-x q) (point-y q))))
