; skein maps with non-keyword keys: each map uses one kind of key, so the order asserted
; (numbers by value, strings and symbols by name) holds under any documented total order
; that orders each kind naturally.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "integer keys by value" (hash-map 10 'ten 2 'two 1 'one))
(check "negative and big integers" (map-keys (hash-map 5 'a -3 'b (expt 2 70) 'c 0 'd)))
(check "rational keys by value" (map-keys (hash-map 1/2 'half 1/3 'third 2 'two)))
(check "string keys" (hash-map "b" 2 "a" 1 "c" 3))
(check "string key prefix order" (map-keys (hash-map "ab" 1 "a" 2 "b" 3)))
(check "symbol keys" (map-keys (hash-map 'beta 2 'alpha 1)))
(check "get with string key" (map-get (hash-map "k" 'v) "k"))
(check "get with fresh equal string" (map-get (hash-map "key" 'found) (string #\k #\e #\y)))
(check "list keys compare structurally" (map-get (hash-map (list 1 2) 'found) (list 1 2) 'missing))
(check "vector keys compare structurally" (map-get (hash-map (vector 'a) 'found) (vector 'a) 'missing))
(check "map as a value of a map" (map-get (hash-map :inner {:x 1}) :inner))
(check "map-set with integer key" (map-set (hash-map 1 'one) 0 'zero))
(check "char keys" (map-keys (hash-map #\b 2 #\a 1)))
(check "symbol and keyword are different keys" (map-size (hash-map 'a 1 :a 2)))
(check "string and symbol are different keys" (map-get (hash-map "a" 'string) 'a 'absent))
