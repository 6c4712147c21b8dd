; error and error objects: predicate, message, irritants.
(define (check label value)
  (display label) (display " => ") (write value) (newline))

(define (catch thunk) (guard (e (#t e)) (thunk)))

(check "error-object? of error" (error-object? (catch (lambda () (error "BOOM!" 1 2 3)))))
(check "error-object-message" (error-object-message (catch (lambda () (error "BOOM!" 1 2 3)))))
(check "error-object-irritants" (error-object-irritants (catch (lambda () (error "BOOM!" 1 2 3)))))
(check "no irritants" (error-object-irritants (catch (lambda () (error "plain")))))
(check "message of no-irritant error" (error-object-message (catch (lambda () (error "plain")))))
(check "structured irritants"
       (error-object-irritants (catch (lambda () (error "data" '(a b) "str" #\c #(1 2) 1.5)))))
(check "non-ASCII message" (error-object-message (catch (lambda () (error "λ failed" 'λ)))))
(check "error-object? of raised symbol" (error-object? (catch (lambda () (raise 'sym)))))
(check "error-object? of raised string" (error-object? (catch (lambda () (raise "str")))))
(check "error-object? of raised number" (error-object? (catch (lambda () (raise 42)))))
(check "error-object? of raised list" (error-object? (catch (lambda () (raise (list 1 2))))))
(check "raised symbol comes back unchanged" (catch (lambda () (raise 'sym))))
(check "raised list comes back unchanged" (catch (lambda () (raise (list 1 2)))))
(check "error-object? of non-error" (error-object? 'x))
(check "error-object? of string" (error-object? "BOOM!"))
(check "file-error? of error" (file-error? (catch (lambda () (error "BOOM!")))))
(check "read-error? of error" (read-error? (catch (lambda () (error "BOOM!")))))
(check "error objects are values"
       (let ((errs (map (lambda (i) (catch (lambda () (error "numbered" i)))) '(1 2 3))))
         (map error-object-irritants errs)))
(check "error raised with raise-continuable"
       (with-exception-handler
         (lambda (e) (error-object-message e))
         (lambda () (raise-continuable (catch (lambda () (error "wrapped")))))))
