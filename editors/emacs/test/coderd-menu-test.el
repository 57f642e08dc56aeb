;;; coderd-menu-test.el --- selectedCompletionInfo from company's menu  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by tests/e2e/test_emacs_menu.py with a script whose replies depend
;; on the text before the cursor: "app = Lit" alone, or with company's
;; selected candidate accepted ("app = Litestar", "app = Literal").  The
;; requests are read back from the jsonrpc events buffer (what went on the
;; wire); the ghost text shows that the server used the selection.
;; Tags: `menu-unit' (no server), `company' (needs company: Debian's
;; elpa-company).

;;; Code:

(let ((dir (file-name-directory (or load-file-name buffer-file-name))))
  (add-to-list 'load-path dir)
  (add-to-list 'load-path (expand-file-name ".." dir)))
(require 'coderd-test-helpers)
(require 'coderd)
(require 'coderd-jsonrpc)
(require 'company nil t)

(defvar company-backends)
(defvar company-frontends)
(defvar company-idle-delay)
(defvar company-candidates)
(defvar company-selection)
(declare-function company-mode "company")
(declare-function company-manual-begin "company")
(declare-function company-select-next "company")
(declare-function company-abort "company")

(defun coderd-test--company-backend (command &optional arg &rest _)
  "A company backend offering two names for the symbol before point."
  (pcase command
    ('prefix (and (looking-back "[[:alnum:]_]+" (line-beginning-position) t) (match-string 0)))
    ('candidates (all-completions arg '("Litestar" "Literal")))
    ('sorted t)))

(defun coderd-test--sent-contexts ()
  "The `context' of every inlineCompletion request in the events buffer, oldest first."
  (with-current-buffer (jsonrpc-events-buffer coderd-jsonrpc--connection)
    (save-excursion
      (goto-char (point-min))
      (let (contexts)
        (while (re-search-forward "^\\[client-request\\].*\n" nil t)
          (let ((message (read (current-buffer))))
            (when (equal (plist-get message :method) "textDocument/inlineCompletion")
              (push (plist-get (plist-get message :params) :context) contexts))))
        (nreverse contexts)))))

(defun coderd-test--command (command)
  "Run COMMAND with the command loop's hooks (company's frontends draw nothing in --batch,
so its keymap is not installed and keys cannot select)."
  (let ((this-command command))
    (run-hooks 'pre-command-hook)
    (call-interactively command)
    (run-hooks 'post-command-hook)))

(defun coderd-test--ask-and-wait ()
  "An explicit request at point; wait for its answer."
  (let ((seq coderd--seq))
    (coderd-complete)
    (coderd-test--wait (lambda () (and coderd--last-answer (> (car coderd--last-answer) seq)))
                       "the answer")))

(ert-deftest coderd-test-fit-to-point ()
  "An item whose range starts before point is shown without what is typed there."
  :tags '(menu-unit)
  (with-temp-buffer
    (insert "app = Lit")
    (let ((coderd-backend 'jsonrpc)
          (range '(:start (:line 0 :character 6) :end (:line 0 :character 9))))
      (should (equal (mapcar #'coderd--item-text
                             (coderd--fit-to-point
                              (list (coderd--item-create :text "Litestar()" :range range)
                                    (coderd--item-create :text "Other()" :range range)
                                    (coderd--item-create :text "x" :range nil))))
                     '("estar()" "x"))))))

(ert-deftest coderd-test-company-selection ()
  "company's selected candidate goes with the request; the answer builds on it."
  :tags '(company)
  (skip-unless (featurep 'company))
  (let ((coderd-backend 'jsonrpc)
        (coderd-server-command (coderd-test--server)))
    (coderd-test--with-text "app = Lit"
      (unwind-protect
          (progn
            (coderd-mode 1)
            (company-mode 1)
            (setq-local company-backends (list #'coderd-test--company-backend))
            (setq-local company-frontends nil) ; nothing to draw in --batch
            (setq-local company-idle-delay nil)
            ;; The server starts in the background, then asks for the buffer on screen.
            (coderd-test--wait (lambda () coderd--last-answer) "the first answer")
            ;; No menu: no selectedCompletionInfo.
            (coderd-test--ask-and-wait)
            (should (equal (car (last (coderd-test--sent-contexts))) '(:triggerKind 1)))
            (should (equal (coderd-test--ghost) "tle_thing"))
            ;; The menu opens on its first candidate: coderd asks again, with it.
            (company-manual-begin)
            (should (equal company-candidates '("Litestar" "Literal")))
            (should (eql company-selection 0))
            (coderd-test--wait (lambda () (equal (coderd-test--ghost) "estar()"))
                               "the suggestion built on Litestar")
            (should (equal (car (last (coderd-test--sent-contexts)))
                           '(:triggerKind 2 :selectedCompletionInfo
                                          (:range (:start (:line 0 :character 6)
                                                          :end (:line 0 :character 9))
                                                  :text "Litestar"))))
            ;; (The server answered "Litestar()" over "Lit": the ghost text is the rest.)
            ;; Another candidate selected, as the command loop runs it: asked again.
            (coderd-test--command #'company-select-next)
            (should-not (coderd-test--ghost))   ; built on Litestar: gone at once
            (coderd-test--wait (lambda () (equal (coderd-test--ghost) "eral[int]"))
                               "the suggestion built on Literal")
            (should (equal (plist-get (plist-get (car (last (coderd-test--sent-contexts)))
                                                 :selectedCompletionInfo)
                                      :text)
                           "Literal"))
            (coderd-accept)
            (should (equal (coderd-test--text) "app = Literal[int]")))
        (when (bound-and-true-p company-mode) (company-abort))
        (coderd-mode -1)
        (coderd-shutdown)))))

(provide 'coderd-menu-test)
;;; coderd-menu-test.el ends here
