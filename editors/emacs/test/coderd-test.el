;;; coderd-test.el --- ERT tests for coderd.el  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run (from the repository root; tests/e2e/test_emacs.py does this with a scratch HOME):
;;
;;   CODERD_TEST_PYTHON=$PWD/.venv/bin/python \
;;   CODERD_FAKE_SCRIPT='{"rules": [{"after": "def add(a, b):\n    ", "replies":
;;     ["total = a + b\n    return total", "return a + b",
;;      "result = a + b\n    return result"]}]}' \
;;   emacs --batch -Q -l editors/emacs/test/coderd-test.el -f ert-run-tests-batch-and-exit
;;
;; Tags: `unit' (no server), `eglot' and `jsonrpc' (the scripted server,
;; tests/fake_server.py, with the script above), `real' (the real server:
;; needs CODERD_TEST_REAL=1 and CODERD_MODEL_PATH).

;;; Code:

(let ((dir (file-name-directory (or load-file-name buffer-file-name))))
  (add-to-list 'load-path dir)
  (add-to-list 'load-path (expand-file-name ".." dir)))
(require 'coderd-test-helpers)
(require 'coderd)
(require 'coderd-jsonrpc)

(defconst coderd-test--candidates
  (list coderd-test--expected "return a + b" "result = a + b\n    return result")
  "What the scripted server offers for an Invoked request, best first.")

(defun coderd-test--check-cycle-and-dismiss ()
  (erase-buffer)
  (insert "def add(a, b):")
  (coderd-test--type-newline-and-wait)
  (coderd-test--keys "M-n")                   ; an Invoked request: up to 3 candidates
  (coderd-test--wait (lambda () coderd--invoked) "the Invoked answer")
  (should (equal (mapcar #'coderd--item-text coderd--items) coderd-test--candidates))
  ;; The list holds the shown text first, so "next" moves on to the second candidate.
  (should (equal (coderd-test--ghost) (nth 1 coderd-test--candidates)))
  (coderd-test--keys "M-n")
  (should (equal (coderd-test--ghost) (nth 2 coderd-test--candidates)))
  (coderd-test--keys "M-p")
  (should (equal (coderd-test--ghost) (nth 1 coderd-test--candidates)))
  (coderd-test--keys "M-n M-n")
  (should (equal (coderd-test--ghost) (nth 0 coderd-test--candidates)))
  (coderd-test--keys "C-g")
  (should-not (coderd-test--ghost))
  (should-not coderd--active)
  (should (equal (coderd-test--text) "def add(a, b):\n    ")))

(defun coderd-test--check-events (conn)
  "The server's record of the notifications sent by the two checks above."
  (let ((events (plist-get (jsonrpc-request conn :coderd/status nil :timeout 10) :events)))
    ;; shown: the two typed suggestions and the three candidates; partial: word and line;
    ;; accepted: the rest at once; rejected: the dismissed candidate.
    (should (equal (list :shown (plist-get events :shown)
                         :accepted (plist-get events :accepted)
                         :partial (plist-get events :partial)
                         :rejected (plist-get events :rejected)
                         :unknown_ids (plist-get events :unknown_ids))
                   '(:shown 5 :accepted 1 :partial 2 :rejected 1 :unknown_ids 0)))))

;;; Unit tests

(ert-deftest coderd-test-server-command-is-risky-in-dir-locals ()
  "A cloned repository's .dir-locals.el cannot quietly choose the program Emacs runs."
  :tags '(unit)
  (should (risky-local-variable-p 'coderd-server-command)))

(ert-deftest coderd-test-partial-accept-units ()
  :tags '(unit)
  (should (equal (coderd--next-word "total = a") "total"))
  (should (equal (coderd--next-word " = a + b") " ="))
  (should (equal (coderd--next-word "\n    return x") "\n    return"))
  (should (equal (coderd--next-word "   ") "   "))
  (should (equal (coderd--next-line "a = 1\nb") "a = 1\n"))
  (should (equal (coderd--next-line "\n    b\nc") "\n    b\n"))
  (should (equal (coderd--next-line "last") "last")))

(ert-deftest coderd-test-parse-items ()
  :tags '(unit)
  (let ((items (coderd--parse-items
                '(:items [(:insertText "a" :command (:title "t" :command "coderd.accepted"
                                                            :arguments [(:id "s1")]))
                          (:insertText "")
                          (:insertText (:kind "snippet" :value "b"))]))))
    (should (equal (mapcar #'coderd--item-text items) '("a" "b")))
    (should (equal (mapcar #'coderd--item-id items) '("s1" nil))))
  (should-not (coderd--parse-items nil))
  (should-not (coderd--parse-items '(:items [])))
  (should (equal (mapcar #'coderd--item-text (coderd--parse-items [(:insertText "x")])) '("x"))))

(ert-deftest coderd-test-keymap-only-while-shown ()
  :tags '(unit)
  (with-temp-buffer
    (python-mode)
    (switch-to-buffer (current-buffer))
    (should-not (eq (key-binding (kbd "TAB")) 'coderd-accept))
    (coderd--set-items (list (coderd--item-create :text "x")) 0 nil)
    (should (eq (key-binding (kbd "TAB")) 'coderd-accept))
    (should (eq (key-binding (kbd "M-f")) 'coderd-accept-word))
    (coderd-dismiss)
    (should-not (eq (key-binding (kbd "TAB")) 'coderd-accept))))

(ert-deftest coderd-test-notifications-and-stale-answers ()
  :tags '(unit)
  (let (sent success)
    (cl-letf (((symbol-function 'coderd--prepare)
               (lambda () (cons 'conn (list :textDocument (list :uri "x") :position nil))))
              ((symbol-function 'coderd--async-request)
               (lambda (_conn _method _params &rest args)
                 (setq success (plist-get args :success-fn))
                 42))
              ((symbol-function 'jsonrpc-running-p) #'always)
              ((symbol-function 'jsonrpc-notify)
               (lambda (_conn method params) (push (cons method params) sent))))
      (with-temp-buffer
        (insert "x = ")
        (let ((answer '(:items [(:insertText "foo(1)"
                                 :command (:arguments [(:id "s1")]))])))
          ;; Edited before the answer came: dropped.
          (coderd--request 2 (lambda (items) (coderd--set-items items 0 nil)))
          (insert "y")
          (coderd--post-command)
          (should (equal (car sent) '(:$/cancelRequest :id 42)))
          (funcall success answer)
          (should-not (coderd-test--ghost))
          ;; Current: shown, announced once, accepted in two parts.
          (coderd--request 2 (lambda (items) (coderd--set-items items 0 nil)))
          (funcall success answer)
          (should (equal (coderd-test--ghost) "foo(1)"))
          (should (equal (car sent) '(:coderd/didShow :id "s1")))
          (coderd-accept-word)
          (should (equal (car sent) '(:coderd/didAccept :id "s1" :kind "word" :acceptedText "foo")))
          (should (equal (coderd-test--ghost) "(1)"))
          (coderd-accept)
          (should (equal (car sent) '(:coderd/didAccept :id "s1" :kind "all" :acceptedText "(1)")))
          (should (equal (coderd-test--text) "x = yfoo(1)"))
          ;; Dismissed: rejected.
          (coderd--request 2 (lambda (items) (coderd--set-items items 0 nil)))
          (funcall success answer)
          (coderd-dismiss)
          (should (equal (car sent) '(:coderd/didReject :id "s1")))
          (should-not (coderd-test--ghost)))))))

(ert-deftest coderd-test-jsonrpc-columns ()
  :tags '(unit)
  (with-temp-buffer
    (insert "é😀x")
    (let ((coderd-jsonrpc--encoding "utf-8")) (should (= (coderd-jsonrpc--column) 7)))
    (let ((coderd-jsonrpc--encoding "utf-16")) (should (= (coderd-jsonrpc--column) 4)))
    (let ((coderd-jsonrpc--encoding "utf-32")) (should (= (coderd-jsonrpc--column) 3)))))

;;; End to end: eglot

(ert-deftest coderd-test-eglot ()
  "Typing in a real file: ghost text from the scripted server through eglot."
  :tags '(e2e eglot)
  (require 'eglot)
  (let ((coderd-backend 'eglot)
        (coderd-server-command (coderd-test--server))
        (eglot-server-programs nil)
        (eglot-managed-mode-hook eglot-managed-mode-hook)
        (eglot-sync-connect 20))
    (coderd-setup-eglot '(python-mode))
    (coderd-test--with-file
      (let ((server (apply #'eglot (eglot--guess-contact))))
        (unwind-protect
            (progn
              (should coderd-mode)     ; turned on by `eglot-managed-mode-hook'
              (coderd-test--check-accepts)
              (coderd-test--check-cycle-and-dismiss)
              (coderd-test--check-events server))
          (eglot-shutdown server))))))

(ert-deftest coderd-test-setup-eglot-takes-no-slot-by-default ()
  "`coderd-setup-eglot' without modes (the old README's call) leaves eglot's servers alone."
  :tags '(eglot-setup)
  (require 'eglot)
  (let ((eglot-server-programs '((python-mode "pylsp")))
        (eglot-managed-mode-hook nil))
    (coderd-setup-eglot)
    (should (equal eglot-server-programs '((python-mode "pylsp"))))
    (should (string-match-p "coderd-setup-eglot without modes does nothing"
                            (car (coderd-log-recent))))
    (coderd-setup-eglot '(lua-mode))      ; explicit modes: coderd is their server
    (should (equal (car eglot-server-programs) (cons '(lua-mode) #'coderd--eglot-contact)))
    (should (equal (cdr eglot-server-programs) '((python-mode "pylsp"))))))

;;; End to end: jsonrpc (no eglot)

(ert-deftest coderd-test-jsonrpc ()
  "The jsonrpc backend: own server process, full document sync."
  :tags '(e2e jsonrpc)
  (let ((coderd-backend 'jsonrpc)
        (coderd-server-command (coderd-test--server)))
    (coderd-test--with-file
      (unwind-protect
          (progn
            (coderd-mode 1)
            (coderd-test--check-accepts)
            ;; The server's copy matches the buffer after a sync.
            (let* ((prepared (coderd-jsonrpc--prepare))
                   (doc (jsonrpc-request (car prepared) :coderd/document
                                         (list :uri coderd-jsonrpc--uri) :timeout 10)))
              (should (equal (plist-get doc :text) (coderd-test--text))))
            (should (string-match-p "\\`coderd .*: ready, model scripted-fake, last completion"
                                    (coderd-status)))
            (coderd-test--check-cycle-and-dismiss)
            (coderd-test--check-events coderd-jsonrpc--connection))
        (coderd-mode -1)
        (coderd-shutdown)))))

;;; Real engine

(ert-deftest coderd-test-real-engine ()
  "The real server and a tiny model: the request round-trips; any text is shown."
  :tags '(real)
  (skip-unless (getenv "CODERD_TEST_REAL"))
  (let ((coderd-backend 'jsonrpc)
        (coderd-server-command (coderd-test--server)))
    (coderd-test--with-file
      (unwind-protect
          (progn
            (coderd-mode 1)
            (let ((conn (car (coderd-test--wait #'coderd-jsonrpc--prepare "the server" 25))))
              (coderd-test--wait
               (lambda () (member (plist-get (jsonrpc-request conn :coderd/status nil :timeout 10)
                                             :state)
                                  '("ready" "prefix-only")))
               "the model" 25))
            ;; The server asked for the buffer on screen once it was up: that answer may
            ;; already be in, shown on the def line; wait for the one after RET.
            (let ((seq coderd--seq))
              (coderd-test--keys "RET")
              (coderd-test--wait (lambda () (and coderd--last-answer
                                                 (> (car coderd--last-answer) seq)))
                                 "the answer after RET" 20))
            (let ((count (cdr coderd--last-answer)))
              (message "real engine: %d item(s), ghost text %S" count (coderd-test--ghost))
              (if (> count 0)
                  (should (equal (coderd-test--ghost) (coderd--item-text (car coderd--items))))
                (should-not (coderd-test--ghost)))))
        (coderd-mode -1)
        (coderd-shutdown)))))

(provide 'coderd-test)
;;; coderd-test.el ends here
