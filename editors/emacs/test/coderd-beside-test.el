;;; coderd-beside-test.el --- coderd.el beside the user's language server  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by tests/e2e/test_emacs_beside.py, which sets:
;;   CODERD_TEST_SNIPPET  a file holding the README's first elisp block (its
;;                        /path/to/coderd made this checkout's path)
;;   PATH                 with pylsp, and a `coderd' that runs tests/fake_server.py
;;
;; Tags: `readme' (the README's set-up beside eglot + pylsp), `messages'
;; (a server warning is shown once, also after a daemon restart),
;; `missing' (no coderd executable).  This file does not load coderd.el:
;; the README's snippet must do that.

;;; Code:

(add-to-list 'load-path (file-name-directory (or load-file-name buffer-file-name)))
(require 'coderd-test-helpers)
;; These tests start `coderd lsp' as a relay and a daemon, twice in one of them; on a loaded
;; 2-core machine (load 8) one run failed (its output was not kept): longer waits here.
(setq coderd-test--patience 45)

(defvar coderd-backend)
(defvar coderd-server-command)
(defvar coderd-init-options)
(defvar coderd-jsonrpc--failure)
(defvar coderd-jsonrpc--connection)
(defvar coderd-mode)
(declare-function coderd-status "coderd")
(declare-function coderd-mode "coderd")
(declare-function coderd-shutdown "coderd-jsonrpc")
(declare-function eglot-current-server "eglot")
(declare-function eglot--server-info "eglot")
(declare-function eglot--TextDocumentPositionParams "eglot")
(declare-function eglot--signal-textDocument/didChange "eglot")

(defun coderd-test--require-coderd ()
  "Load coderd.el from this checkout (the tests that are not about the README)."
  (add-to-list 'load-path (expand-file-name ".." coderd-test--dir))
  (require 'coderd)
  (require 'coderd-jsonrpc))

(defun coderd-test--definition-line (server)
  "The line (0-based) SERVER says defines the last `total' in the buffer."
  (save-excursion
    (goto-char (point-max))
    (search-backward "total")
    (eglot--signal-textDocument/didChange) ; eglot sends it on an idle timer: none in --batch
    (let* ((found (jsonrpc-request server :textDocument/definition
                                   (eglot--TextDocumentPositionParams) :timeout 20))
           (location (if (vectorp found) (and (> (length found) 0) (aref found 0)) found)))
      (plist-get (plist-get (plist-get location :range) :start) :line))))

(defun coderd-test--status-line ()
  "The first line of `coderd-status' (the notices follow it)."
  (car (split-string (coderd-status) "\n")))

(ert-deftest coderd-test-readme-beside-pylsp ()
  "The README's set-up, then M-x eglot: eglot runs pylsp, coderd shows ghost text too."
  :tags '(readme)
  (coderd-test--load-readme-snippet)
  (let ((eglot-sync-connect 30))
    (coderd-test--with-file
      (should coderd-mode)              ; `global-coderd-mode', from the snippet
      (let ((server (apply #'eglot (eglot--guess-contact))))
        (unwind-protect
            (progn
              ;; eglot's server for the buffer is the user's (pylsp), not coderd.
              (should (eq (eglot-current-server) server))
              (should (equal (plist-get (eglot--server-info server) :name) "pylsp"))
              ;; coderd's ghost text in the same buffer, from its own `coderd lsp':
              ;; a word, a line, then the rest accepted with coderd's keys.
              (coderd-test--check-accepts)
              ;; pylsp still answers for the buffer: `total' is defined on line 1 (0-based).
              (should (equal (coderd-test--definition-line server) 1))
              (should (eq (eglot-current-server) server))
              (should (string-match-p "\\`coderd .*: ready, model scripted-fake" (coderd-status)))
              ;; With the eglot backend this buffer has no coderd server: said plainly.
              (let ((coderd-backend 'eglot))
                (should (equal (coderd-test--status-line) (concat "No coderd server for this buffer"
                                                       " (its eglot server is pylsp, not coderd)"))))
              (coderd-mode -1)
              (should (equal (coderd-test--status-line)
                             "No coderd server for this buffer (coderd-mode is off here)")))
          (eglot-shutdown server)
          (when (fboundp (quote coderd-shutdown)) (coderd-shutdown)))))))

(defconst coderd-test--config-logged "[0-9] coderd: configuration problems, defaults used:"
  "The warning's line in *coderd*, after the time.")

(defconst coderd-test--config-warning "^coderd: configuration problems, defaults used:"
  "The start of the warning a session with an unknown setting sends (a line's start:
`coderd-status' repeats it indented).")

(ert-deftest coderd-test-warning-shown-once ()
  "A server warning goes to *coderd* each time, to the echo area once: also after the
daemon is killed and a new one sends it again."
  :tags '(messages)
  (coderd-test--require-coderd)
  (let ((coderd-backend 'jsonrpc)
        (coderd-server-command (coderd-test--relay-server))
        (coderd-init-options '(:completion (:no_such_key 1)))
        (shown-before (coderd-test--count coderd-test--config-warning "*Messages*")))
    (coderd-test--with-file
      (unwind-protect
          (progn
            (coderd-mode 1)
            (coderd-test--type-newline-and-wait)
            (coderd-test--wait (lambda () (= 1 (coderd-test--count coderd-test--config-logged
                                                                   "*coderd*")))
                               "the warning in *coderd*")
            (should (= (coderd-test--count coderd-test--config-warning "*Messages*")
                       (1+ shown-before)))
            (should (string-match-p "^  coderd: configuration problems" (coderd-status)))
            ;; kill -9 the daemon: the relay starts a new one, which warns again.
            (let ((pid (plist-get (jsonrpc-request coderd-jsonrpc--connection :coderd/status nil
                                                   :timeout 10)
                                  :pid)))
              (should (integerp pid))
              (signal-process pid 'SIGKILL)
              ;; A zombie its parent has not reaped yet has ended too: waiting for the
              ;; reaping timed out in CI twice.
              (coderd-test--wait (lambda () (coderd-test--gone pid)) "the daemon's end"))
            (coderd-test--keys "C-g")
            (erase-buffer)
            (insert "def add(a, b):")
            (coderd-test--type-newline-and-wait) ; the next suggestion arrives
            (coderd-test--wait (lambda () (= 2 (coderd-test--count coderd-test--config-logged
                                                                   "*coderd*")))
                               "the new daemon's warning in *coderd*")
            (should (= (coderd-test--count coderd-test--config-warning "*Messages*")
                       (1+ shown-before))))
        (coderd-mode -1)
        (coderd-shutdown)))))

(ert-deftest coderd-test-start-does-not-block ()
  "Turning coderd-mode on while the server takes 3 s to start returns at once; a line
typed meanwhile gets its suggestion once the server is up."
  :tags '(nonblocking)
  (coderd-test--require-coderd)
  (let ((coderd-backend 'jsonrpc)
        (coderd-server-command
         (list "sh" "-c" "sleep 3; exec \"$0\" \"$@\"" ; a slow start: a daemon, a model
               (car (coderd-test--server)) (cadr (coderd-test--server)))))
    (setq coderd-jsonrpc--failure nil)
    (coderd-test--with-file
      (unwind-protect
          (let ((started (float-time)))
            (coderd-mode 1)
            (coderd-test--keys "RET")
            (should (< (- (float-time) started) 1.5))
            (should-not (coderd-test--ghost))
            (should (string-prefix-p "coderd: starting" (coderd-test--status-line)))
            (coderd-test--wait #'coderd-test--ghost "the ghost text after the start")
            (should (equal (coderd-test--ghost) coderd-test--expected))
            (should (> (- (float-time) started) 3)))
        (coderd-mode -1)
        (coderd-shutdown)))))

(ert-deftest coderd-test-missing-executable ()
  "No coderd program: one message naming the fix, however often a buffer asks."
  :tags '(missing)
  (coderd-test--require-coderd)
  (let* ((coderd-backend 'jsonrpc)
         (coderd-server-command '("coderd-not-installed-here" "lsp"))
         (said "coderd: `coderd-not-installed-here' not found")
         (before (coderd-test--count (concat "^" (regexp-quote said)) "*Messages*")))
    (setq coderd-jsonrpc--failure nil)
    (unwind-protect
        (coderd-test--with-file
          (coderd-mode 1)
          (dotimes (_ 3)
            (coderd-test--keys "RET")
            (sleep-for 0.3)                   ; the idle delay: a request is attempted
            (coderd-mode -1)
            (coderd-mode 1))
          (should (= (coderd-test--count (concat "^" (regexp-quote said)) "*Messages*")
                     (1+ before)))
          (let ((status (coderd-status)))
            (should (string-prefix-p (concat "No coderd server for this buffer (" said) status))
            (should (string-match-p "pipx install" status))
            (should (string-match-p "coderd-server-command" status))))
      (setq coderd-jsonrpc--failure nil))))

(provide 'coderd-beside-test)
;;; coderd-beside-test.el ends here
