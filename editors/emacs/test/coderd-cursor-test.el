;;; coderd-cursor-test.el --- coderd/didMoveCursor from Emacs  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by tests/e2e/test_emacs_cursor.py (the scripted server, tests/fake_server.py).  A file
;; of 80 lines is visited and point moves with keys (`execute-kbd-macro': the real
;; `post-command-hook'), nothing typed into it:
;;   1. the first command once the server is up sends point's line;
;;   2. moves within that line send nothing, and the server queues no prewarm;
;;   3. a jump to the `x' of line 70 (`    word = "héllo" + x': é is two bytes, so the
;;      column differs between UTF-8 and UTF-16) sends line 69 at that column, in the
;;      negotiated encoding, and the server queues a prewarm (`coderd/status');
;;   4. `C-x b' to another file sends its line; `C-x b' back sends line 69 again.
;; Through both backends: jsonrpc (its own connection) and eglot.

;;; Code:

(let ((dir (file-name-directory (or load-file-name buffer-file-name))))
  (add-to-list 'load-path dir)
  (add-to-list 'load-path (expand-file-name ".." dir)))
(require 'coderd-test-helpers)
(require 'coderd)
(require 'coderd-jsonrpc)

(defconst coderd-cursor-test--text
  (mapconcat (lambda (n) (if (= n 69) "    word = \"héllo\" + x" (format "value_%d = %d" n n)))
             (number-sequence 0 79) "\n")
  "80 lines; line 70 (69 from 0) has a two-byte character before its `x'.")

(defvar coderd-cursor-test--sent nil "The `coderd/didMoveCursor' params sent, newest first.")

(defun coderd-cursor-test--record (_conn method params)
  (when (eq method :coderd/didMoveCursor)
    (push params coderd-cursor-test--sent)))

(defun coderd-cursor-test--to-x ()
  "Jump to the `x' of line 70: one command."
  (interactive)
  (goto-char (point-min))
  (search-forward "+ x")
  (backward-char))

(defun coderd-cursor-test--prewarm (conn)
  (plist-get (jsonrpc-request conn :coderd/status nil :timeout 10) :prewarm))

(defun coderd-cursor-test--settled (conn)
  "The `prewarm' counts once every queued prewarm ended and none came for 0.3 s."
  (let ((last -1) (counts nil) (tries 0))
    (while (progn (setq counts (coderd-cursor-test--prewarm conn))
                  (let ((ended (= (+ (plist-get counts :done) (plist-get counts :cancelled)
                                     (plist-get counts :skipped))
                                  (plist-get counts :queued))))
                    (not (and ended (eql (plist-get counts :queued) last)))))
      (setq last (plist-get counts :queued))
      (when (> (cl-incf tries) 60) (ert-fail (format "prewarms not settled: %S" counts)))
      (accept-process-output nil 0.3))
    counts))

(defun coderd-cursor-test--uri (file)
  (concat "file://" (url-hexify-string (expand-file-name file) url-path-allowed-chars)))

(defun coderd-cursor-test--expect (count file line character what)
  "The COUNTth notification sent is for FILE, LINE and CHARACTER (WHAT, for failures)."
  (unless (= (length coderd-cursor-test--sent) count)
    (ert-fail (format "%s: %d sent, expected %d: %S" what (length coderd-cursor-test--sent)
                      count (reverse coderd-cursor-test--sent))))
  (should (equal (list what (car coderd-cursor-test--sent))
                 (list what (list :textDocument (list :uri (coderd-cursor-test--uri file))
                                  :position (list :line line :character character))))))

(defun coderd-cursor-test--check (connection encoding)
  "Steps 1-4 in the current buffer (sample.py), which `coderd-mode' serves.
CONNECTION: a function returning the server connection once it is up;
ENCODING: one returning the negotiated position encoding."
  (let* ((conn (coderd-test--wait connection "the server" 30))
         (file buffer-file-name)
         (second (expand-file-name "second.py" (file-name-directory file)))
         (x-column (if (equal (funcall encoding) "utf-8") 22 21))) ; `    word = "héllo" + '
    (setq coderd-cursor-test--sent nil)
    (advice-add 'jsonrpc-notify :before #'coderd-cursor-test--record)
    (global-set-key (kbd "<f5>") #'coderd-cursor-test--to-x)
    (with-temp-file second (insert "y = 2\n"))
    (unwind-protect
        (progn
          ;; 1. The first command after the server is up.  (A keyboard macro's command
          ;; loop runs `post-command-hook' once before its first key too: point is put on
          ;; line 0 first, so that both see the same line.)
          (goto-char (point-min))
          (coderd-test--keys "M-<")
          (coderd-cursor-test--expect 1 file 0 0 "M-<")
          (let ((before (coderd-cursor-test--settled conn)))
            ;; 2. Columns of line 0: nothing.
            (coderd-test--keys "C-e C-a M-f M-f C-e")
            (coderd-cursor-test--expect 1 file 0 0 "moves within line 0")
            (should (equal (list :queued (plist-get (coderd-cursor-test--settled conn) :queued))
                           (list :queued (plist-get before :queued))))
            ;; 3. The jump.
            (coderd-test--keys "<f5>")
            (should (looking-at "x$"))
            (coderd-cursor-test--expect 2 file 69 x-column "the jump to line 70")
            (coderd-test--wait (lambda () (> (plist-get (coderd-cursor-test--prewarm conn) :queued)
                                             (plist-get before :queued)))
                               "a prewarm at line 70"))
          ;; 4. Another buffer, and back.
          (let ((other (find-file-noselect second)))
            (with-current-buffer other (unless coderd-mode (coderd-mode 1)))
            (coderd-test--keys "C-x b second.py RET")
            (should (eq (current-buffer) other))
            (coderd-cursor-test--expect 3 second 0 0 "C-x b second.py")
            (coderd-test--keys "C-x b sample.py RET")
            (coderd-cursor-test--expect 4 file 69 x-column "C-x b sample.py")
            (with-current-buffer other (coderd-mode -1))
            (kill-buffer other)))
      (advice-remove 'jsonrpc-notify #'coderd-cursor-test--record)
      (global-unset-key (kbd "<f5>")))))

(ert-deftest coderd-cursor-test-jsonrpc ()
  "The jsonrpc backend: its own connection, the file opened on the server by the first move."
  :tags '(jsonrpc)
  (let ((coderd-backend 'jsonrpc)
        (coderd-server-command (coderd-test--server)))
    (coderd-test--with-text coderd-cursor-test--text
      (unwind-protect
          (progn
            (coderd-mode 1)
            (coderd-cursor-test--check (lambda () coderd-jsonrpc--connection)
                                       (lambda () coderd-jsonrpc--encoding)))
        (coderd-mode -1)
        (coderd-shutdown)))))

(ert-deftest coderd-cursor-test-eglot ()
  "The eglot backend: eglot's connection, which opened the file."
  :tags '(eglot)
  (require 'eglot)
  (let ((coderd-backend 'eglot)
        (coderd-server-command (coderd-test--server))
        (eglot-server-programs nil)
        (eglot-managed-mode-hook eglot-managed-mode-hook)
        (eglot-sync-connect 20))
    (coderd-setup-eglot '(python-mode))
    (coderd-test--with-text coderd-cursor-test--text
      (let ((server (apply #'eglot (eglot--guess-contact))))
        (unwind-protect
            (progn
              (should coderd-mode)
              (coderd-cursor-test--check
               (lambda () server)
               (lambda () (or (plist-get (eglot--capabilities server) :positionEncoding)
                              "utf-16"))))
          (eglot-shutdown server))))))

(provide 'coderd-cursor-test)
;;; coderd-cursor-test.el ends here
