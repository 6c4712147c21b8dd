; The #u8( ) literal syntax.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(check "#u8()" #u8())
(check "#u8(0 1 2)" #u8(0 1 2))
(check "'#u8(255)" '#u8(255))
(check "bytevector? #u8(1)" (bytevector? #u8(1)))
(check "length" (bytevector-length #u8(1 2 3 4)))
(check "equal? literal and built" (equal? #u8(1 2) (bytevector 1 2)))
(check "hex elements" #u8(#x41 #xff))
(check "in a list" '(#u8(1) #u8()))
