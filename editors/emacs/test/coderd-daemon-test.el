;;; coderd-daemon-test.el --- coderd.el and the shared daemon  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by tests/e2e/test_emacs_daemon.py, which sets:
;;   CODERD_TEST_SNIPPET  a file holding the README's first elisp block (its
;;                        /path/to/coderd made this checkout's path)
;;   PATH                 with pylsp, and a `coderd' that runs tests/fake_server.py
;;                        (the real relay and daemon, scripted replies)
;;   CODERD_TEST_MEET, CODERD_TEST_NAME, CODERD_TEST_PEERS   for `shared' (below)
;;
;; Tags: `restart' (the README's set-up beside eglot + pylsp; `kill -9' of the
;; daemon; the next line typed gets the server's suggestion), `shared' (one of
;; several Emacs of one user open at once: each gets its suggestion, then asks
;; coderd/status while all are connected and prints a `STATUS {...}' line).

;;; Code:

(add-to-list 'load-path (file-name-directory (or load-file-name buffer-file-name)))
(require 'coderd-test-helpers)
(require 'json)
;; A relay and a daemon start, twice in `restart', on a loaded 2-core machine.
(setq coderd-test--patience 45)

;; (The compiler reads declarations per file: these repeat coderd-beside-test.el's.)
(defvar coderd-jsonrpc--connection)
(declare-function coderd-shutdown "coderd-jsonrpc")
(declare-function eglot-current-server "eglot")
(declare-function eglot--server-info "eglot")
(declare-function eglot--TextDocumentPositionParams "eglot")
(declare-function eglot--signal-textDocument/didChange "eglot")

(defun coderd-test--daemon-status ()
  "The daemon's coderd/status, asked on coderd.el's own connection."
  (jsonrpc-request coderd-jsonrpc--connection :coderd/status nil :timeout 20))

(defun coderd-test--type-and-expect (keys ghost)
  "Type KEYS; wait for the ghost text GHOST at point."
  (coderd-test--keys keys)
  (coderd-test--wait (lambda () (equal (coderd-test--ghost) ghost)) (format "ghost %S" ghost))
  (should (equal (coderd-test--ghost) ghost)))

(defun coderd-test--hover-says (server text)
  "Whether SERVER's hover at the first occurrence of TEXT answers with contents."
  (save-excursion
    (goto-char (point-min))
    (search-forward text)
    (backward-char 1)
    (eglot--signal-textDocument/didChange) ; eglot sends it on an idle timer: none in --batch
    (plist-get (jsonrpc-request server :textDocument/hover
                                (eglot--TextDocumentPositionParams) :timeout 20)
               :contents)))

(ert-deftest coderd-test-next-suggestion-after-kill-9 ()
  "The README's set-up beside eglot + pylsp: after `kill -9' of the daemon, the next line
typed gets the server's suggestion, on the same connection, and pylsp still answers."
  :tags '(restart)
  (coderd-test--load-readme-snippet)
  (let ((eglot-sync-connect 30))
    (coderd-test--with-text "import os\nx = 1"
      (let ((server (apply #'eglot (eglot--guess-contact))))
        (unwind-protect
            (progn
              (should (equal (plist-get (eglot--server-info server) :name) "pylsp"))
              (coderd-test--type-and-expect "RET y SPC = SPC" "compute()")
              (let ((conn coderd-jsonrpc--connection)
                    (old (plist-get (coderd-test--daemon-status) :pid)))
                (should (integerp old))
                (signal-process old 'SIGKILL)
                (coderd-test--wait (lambda () (coderd-test--gone old)) "the daemon's end")
                (message "daemon %d killed" old)
                ;; Typing on, as a user who noticed nothing.
                (coderd-test--type-and-expect "RET z SPC = SPC" "again()")
                (coderd-test--keys "TAB")
                ;; RET trimmed "y = " (electric-indent-mode)
                (should (equal (coderd-test--text) "import os\nx = 1\ny =\nz = again()"))
                ;; The relay behind the same connection started a new daemon.
                (should (eq coderd-jsonrpc--connection conn))
                (let ((new (plist-get (coderd-test--daemon-status) :pid)))
                  (should (integerp new))
                  (should-not (equal new old))))
              ;; The user's server was not disturbed.
              (should (eq (eglot-current-server) server))
              (should (coderd-test--hover-says server "os")))
          (eglot-shutdown server)
          (coderd-shutdown))))))

(defun coderd-test--mark (step)
  (with-temp-file (expand-file-name (format "%s.%s" (getenv "CODERD_TEST_NAME") step)
                                    (getenv "CODERD_TEST_MEET"))))

(defun coderd-test--all-at (step)
  (= (length (file-expand-wildcards (expand-file-name (concat "*." step)
                                                      (getenv "CODERD_TEST_MEET"))))
     (string-to-number (getenv "CODERD_TEST_PEERS"))))

(ert-deftest coderd-test-shared-daemon ()
  "One of several Emacs of one user: its suggestion, then the daemon's status with all of
them connected (printed for the test to compare), then wait until every peer asked."
  :tags '(shared)
  (coderd-test--load-readme-snippet)
  (coderd-test--with-text "x = 1"
    (unwind-protect
        (progn
          (coderd-test--type-and-expect "RET y SPC = SPC" "shared()")
          (coderd-test--mark "shown")
          (coderd-test--wait (lambda () (coderd-test--all-at "shown")) "every Emacs's suggestion"
                             60)
          (let ((status (coderd-test--daemon-status)))
            (princ (format "\nSTATUS %s\n"
                           (json-encode (list :pid (plist-get status :pid)
                                              :sessions (plist-get status :sessions))))))
          (coderd-test--mark "asked")
          (coderd-test--wait (lambda () (coderd-test--all-at "asked")) "every Emacs's status" 30))
      (coderd-shutdown))))

(provide 'coderd-daemon-test)
;;; coderd-daemon-test.el ends here
