; String case mapping.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "string-upcase \"abc\"" (string-upcase "abc"))
(check "string-upcase \"ABC\"" (string-upcase "ABC"))
(check "string-upcase mixed" (string-upcase "Hello, World 1"))
(check "string-downcase \"ABC\"" (string-downcase "ABC"))
(check "string-downcase mixed" (string-downcase "Hello, World 1"))
(check "string-foldcase \"ABC\"" (string-foldcase "ABC"))
(check "string-upcase Greek" (string-upcase "αβγ"))
(check "string-downcase Greek" (string-downcase "ΑΒΓ"))
(check "string-foldcase Greek" (string-foldcase "ΑΒΓ"))
(check "string-upcase \"\"" (string-upcase ""))
