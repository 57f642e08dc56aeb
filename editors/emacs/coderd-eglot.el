;;; coderd-eglot.el --- coderd.el through eglot (the `eglot' backend)  -*- lexical-binding: t; -*-

;;; Commentary:

;; With `coderd-backend' set to `eglot', coderd.el uses the buffer's eglot
;; connection, which must be coderd: `coderd-setup-eglot' makes eglot start
;; coderd for the modes it is given.  Eglot runs one server per buffer, so
;; those buffers then have no other language server.  The default backend
;; (`jsonrpc', coderd-jsonrpc.el) runs beside eglot instead.

;;; Code:

(require 'cl-lib)
(require 'coderd)
(require 'coderd-log)

(defvar eglot-server-programs)
(defvar eglot-managed-mode-hook)
(declare-function eglot-current-server "eglot")
(declare-function eglot-managed-p "eglot")
(declare-function eglot--capabilities "eglot")
(declare-function eglot--server-info "eglot")
(declare-function eglot--TextDocumentPositionParams "eglot")
(declare-function eglot--signal-textDocument/didChange "eglot")

(defun coderd--eglot-capable-p (server)
  "Non-nil when eglot SERVER offers inline completions.
eglot reads `{}' as nil, so test the key's presence."
  (let ((probe (plist-member (eglot--capabilities server) :inlineCompletionProvider)))
    (and probe (not (eq (cadr probe) :json-false)))))

(defun coderd--eglot-prepare ()
  (when (and (featurep 'eglot) (eglot-managed-p))
    (let ((server (eglot-current-server)))
      (when (and server (coderd--eglot-capable-p server))
        ;; eglot sends didChange on its own idle timer: flush it so the server sees this text.
        (eglot--signal-textDocument/didChange)
        (cons server (eglot--TextDocumentPositionParams))))))

(defun coderd--eglot-contact (&optional _interactive)
  "The eglot contact for coderd, read when eglot starts the server."
  (append coderd-server-command
          (and coderd-init-options (list :initializationOptions coderd-init-options))))

;;;###autoload
(defun coderd-setup-eglot (&optional modes)
  "Make eglot start coderd for MODES (a list of major modes), and nothing else.
Then \\[eglot] in such a buffer starts `coderd-server-command', and
`coderd-mode' turns on in the buffers eglot manages with it.  Eglot runs
one server per buffer: coderd then replaces any other language server for
MODES.  Set `coderd-backend' to `eglot' as well.  Without MODES, nothing
is registered: the default backend (`jsonrpc') needs no eglot set-up."
  (interactive)
  (if (null modes)
      (coderd-log-notice
       (concat "coderd: coderd-setup-eglot without modes does nothing now: coderd runs its own"
               " server beside eglot (coderd-backend jsonrpc); see the README to make eglot run"
               " coderd for chosen modes"))
    (coderd--eglot-register modes)))

(defun coderd--eglot-register (modes)
  "Put coderd first in `eglot-server-programs' for MODES."
  (require 'eglot)
  (setq eglot-server-programs
        (cons (cons modes #'coderd--eglot-contact)
              (cl-remove #'coderd--eglot-contact eglot-server-programs :key #'cdr)))
  (add-hook 'eglot-managed-mode-hook #'coderd--eglot-managed))

(defun coderd--eglot-managed ()
  "Turn `coderd-mode' on in buffers eglot manages with a coderd-capable server."
  (when (and (eq coderd-backend 'eglot) (eglot-managed-p)
             (coderd--eglot-capable-p (eglot-current-server)))
    (coderd-mode 1)))

(defun coderd--eglot-server-name (server)
  "What SERVER calls itself, for messages."
  (or (plist-get (eglot--server-info server) :name) (jsonrpc-name server)))

(defun coderd-eglot--connection ()
  "The buffer's eglot server when it is coderd, or (nil . WHY-NOT)."
  (let ((server (and (featurep 'eglot) (eglot-managed-p) (eglot-current-server))))
    (cond ((null server) '(nil . "eglot does not manage it: M-x eglot"))
          ((coderd--eglot-capable-p server) server)
          (t (cons nil (format "its eglot server is %s, not coderd" ; eglot: one per buffer
                               (coderd--eglot-server-name server)))))))

(provide 'coderd-eglot)
;;; coderd-eglot.el ends here
