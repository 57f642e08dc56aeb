;;; coderd-test-helpers.el --- What coderd.el's ERT files share  -*- lexical-binding: t; -*-

;;; Commentary:

;; Loaded by coderd-test.el, coderd-beside-test.el and coderd-menu-test.el.
;; It neither puts editors/emacs on `load-path' nor loads coderd.el, so that
;; the README test shows that the README's own snippet does both.

;;; Code:

;; Debian's elpa-eglot lives here; -Q does not add it (site-start does).
(with-eval-after-load 'package
  (add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa"))
(require 'package)
(package-initialize)

(defconst coderd-test--dir (file-name-directory (or load-file-name buffer-file-name)))
(defconst coderd-test--repo (expand-file-name "../../../" coderd-test--dir))

(require 'ert)
(require 'cl-lib)
(require 'subr-x)
(require 'python)
(require 'eglot nil t)                  ; the eglot tests fail without it, the others run
(defvar eglot-server-programs)
(defvar eglot-managed-mode-hook)
(defvar eglot-sync-connect)
(declare-function eglot "eglot")
(declare-function eglot--guess-contact "eglot")
(declare-function eglot-shutdown "eglot")

(defvar coderd--active)

(defconst coderd-test--expected "total = a + b\n    return total"
  "What the scripted server must suggest after \"def add(a, b):\\n    \".")

;;; Helpers

(defun coderd-test--server ()
  (let ((python (or (getenv "CODERD_TEST_PYTHON") "python3")))
    (if (getenv "CODERD_TEST_REAL")
        (list python "-m" "lsp" "lsp")
      (list python (expand-file-name "tests/fake_server.py" coderd-test--repo)))))

(defun coderd-test--relay-server ()
  "The scripted server as `coderd lsp' runs it: a relay in front of a daemon."
  (append (coderd-test--server) '("lsp")))

(defvar global-coderd-mode)

(defun coderd-test--load-readme-snippet ()
  "Evaluate the README's set-up (the file $CODERD_TEST_SNIPPET), as a user's init file would."
  (let ((snippet (or (getenv "CODERD_TEST_SNIPPET") (ert-fail "CODERD_TEST_SNIPPET is not set"))))
    (load snippet nil nil t)
    ;; What the snippet must have done: coderd.el loaded and turned on.
    (should (featurep 'coderd))
    (should global-coderd-mode)))

(defun coderd-test--count (regexp buffer-name)
  "How many times REGEXP occurs in BUFFER-NAME (0 when it does not exist)."
  (if-let ((buf (get-buffer buffer-name)))
      (with-current-buffer buf (how-many regexp (point-min) (point-max)))
    0))

(defvar coderd-test--patience 15
  "Default seconds `coderd-test--wait' waits; more where a daemon starts on a busy machine.")

(defun coderd-test--wait (pred what &optional seconds)
  "Process events until PRED is non-nil; fail after SECONDS (`coderd-test--patience')."
  (let ((deadline (+ (float-time) (or seconds coderd-test--patience))))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.02))
    (or (funcall pred) (ert-fail (format "timed out waiting for %s" what)))))

(defun coderd-test--gone (pid)
  "Whether PID has ended: no such process, or a zombie not yet reaped."
  (let ((attributes (process-attributes pid)))
    (or (null attributes) (equal (alist-get 'state attributes) "Z"))))

(defun coderd-test--overlays ()
  (cl-remove-if-not (lambda (o) (overlay-get o 'coderd)) (overlays-in (point-min) (point-max))))

(defun coderd-test--ghost ()
  "The ghost text shown at point, or nil; fails on more than one overlay."
  (let ((ovs (coderd-test--overlays)))
    (should (<= (length ovs) 1))
    (when-let ((ov (car ovs)))
      (should (= (overlay-start ov) (point)))
      (should (= (overlay-end ov) (point)))
      (substring-no-properties (overlay-get ov 'after-string)))))

(defun coderd-test--keys (keys)
  "Run KEYS through the command loop, so hooks and keymaps apply as when typing."
  (execute-kbd-macro (kbd keys)))

(defun coderd-test--text ()
  (buffer-substring-no-properties (point-min) (point-max)))

(defmacro coderd-test--with-file (&rest body)
  "Run BODY in a python-mode buffer visiting a new sample.py holding a def line."
  (declare (indent 0))
  `(coderd-test--with-text "def add(a, b):" ,@body))

(defmacro coderd-test--with-text (text &rest body)
  "Run BODY in a python-mode buffer visiting a new sample.py holding TEXT, point at its end.
The buffer is shown in the selected window, where `execute-kbd-macro' works."
  (declare (indent 1))
  `(let* ((dir (make-temp-file "coderd-test" t))
          (file (expand-file-name "sample.py" dir)))
     (with-temp-file file (insert ,text))
     (let ((buf (find-file-noselect file)))
       (unwind-protect
           (progn
             (switch-to-buffer buf)
             (should (eq major-mode 'python-mode))
             (goto-char (point-max))
             ,@body)
         (with-current-buffer buf (set-buffer-modified-p nil))
         (kill-buffer buf)
         (delete-directory dir t)))))

(defun coderd-test--type-newline-and-wait ()
  "Type RET after the def line; wait for the suggestion."
  (coderd-test--keys "RET")
  (should (equal (coderd-test--text) "def add(a, b):\n    ")) ; electric indent
  (coderd-test--wait #'coderd-test--ghost "the ghost text")
  (should (equal (coderd-test--ghost) coderd-test--expected)))

(defun coderd-test--check-accepts ()
  "Word, line, then all of the scripted suggestion, with the keys of the map."
  (coderd-test--type-newline-and-wait)
  (coderd-test--keys "M-f")
  (should (equal (coderd-test--text) "def add(a, b):\n    total"))
  (should (equal (coderd-test--ghost) " = a + b\n    return total"))
  (coderd-test--keys "C-e")
  (should (equal (coderd-test--text) "def add(a, b):\n    total = a + b\n"))
  (should (equal (coderd-test--ghost) "    return total"))
  (coderd-test--keys "TAB")
  (should (equal (coderd-test--text) "def add(a, b):\n    total = a + b\n    return total"))
  (should-not (coderd-test--ghost))
  (should-not coderd--active))

(provide 'coderd-test-helpers)
;;; coderd-test-helpers.el ends here
