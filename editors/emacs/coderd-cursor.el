;;; coderd-cursor.el --- Tell coderd where the cursor went  -*- lexical-binding: t; -*-

;;; Commentary:

;; `coderd/didMoveCursor' (editors/PROTOCOL.md).  LSP gives a server the
;; cursor only inside a request, so without this the first key after a
;; jump (a click, M-<, a search) or a switch to another buffer or window
;; evaluates its whole prompt; with it the server prewarms the prompt
;; where point landed.  `coderd-mode' puts `coderd-cursor--post-command'
;; on the buffer's `post-command-hook': after each command it compares
;; the buffer and line with the last ones sent, and sends only when one
;; changed, never for a column within a line.
;;
;; Both backends: the position is the one of their inline-completion
;; requests (`coderd--prepare': the negotiated encoding).  With the
;; `jsonrpc' backend the buffer is opened on the server there if no
;; request opened it yet (it syncs lazily), so that a file just visited
;; is prewarmed too; eglot opened it when it started managing it.

;;; Code:

(require 'jsonrpc)
(require 'subr-x)

(defvar coderd-backend)
(defvar coderd-jsonrpc--connection)
(declare-function coderd--prepare "coderd")
(declare-function eglot-current-server "eglot")
(declare-function eglot-managed-p "eglot")

(defvar coderd-cursor--last nil
  "Where the last `coderd/didMoveCursor' put point: (CONNECTION BUFFER LINE).
One for the whole Emacs: the server keeps one place per editor session.")

(defun coderd-cursor--connection ()
  "The buffer's server connection once it is initialized, or nil.
Starts nothing: a cursor move is no reason to start a server."
  (pcase coderd-backend
    ('eglot (and (featurep 'eglot) (eglot-managed-p) (eglot-current-server)))
    (_ (let ((conn (and (boundp 'coderd-jsonrpc--connection)
                        coderd-jsonrpc--connection)))
         (and conn (jsonrpc-running-p conn) conn)))))

(defun coderd-cursor--post-command ()
  "Send `coderd/didMoveCursor' when point left the line or buffer last sent."
  (when-let ((conn (coderd-cursor--connection)))
    ;; `line-number-at-pos' counts newlines in C: cheap enough for each command.
    (let ((line (line-number-at-pos nil t))
          (last coderd-cursor--last))
      (unless (and (eq conn (nth 0 last)) (eq (current-buffer) (nth 1 last))
                   (eql line (nth 2 last)))
        ;; An error would take the function off `post-command-hook': say it instead.
        (with-demoted-errors "coderd: coderd/didMoveCursor: %S"
          ;; The (CONNECTION . PARAMS) of a textDocument/inlineCompletion request.
          (when-let ((prepared (coderd--prepare)))
            (setq coderd-cursor--last (list (car prepared) (current-buffer) line))
            (jsonrpc-notify (car prepared) :coderd/didMoveCursor
                            (cdr prepared))))))))

(provide 'coderd-cursor)
;;; coderd-cursor.el ends here
