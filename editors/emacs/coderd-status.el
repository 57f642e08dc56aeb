;;; coderd-status.el --- M-x coderd-status  -*- lexical-binding: t; -*-

;;; Commentary:

;; `coderd-status' asks the server serving the buffer for `coderd/status'
;; and shows its state in one line, then the last notices (coderd-log.el).
;; When no coderd server serves the buffer it says so, and why: never a
;; raw jsonrpc error (another language server answers "Method Not Found").

;;; Code:

(require 'jsonrpc)
(require 'subr-x)
(require 'coderd)
(require 'coderd-log)

(declare-function coderd-eglot--connection "coderd-eglot")
(declare-function coderd-jsonrpc--connection "coderd-jsonrpc")
(declare-function coderd-jsonrpc--why-not "coderd-jsonrpc")
(defvar coderd-jsonrpc--starting)

(defun coderd-status--connection ()
  "The coderd connection serving the buffer, `starting', or (nil . WHY-NOT)."
  (pcase coderd-backend
    ('eglot (require 'coderd-eglot) (coderd-eglot--connection))
    (_
     (require 'coderd-jsonrpc)
     (cond ((not coderd-mode) '(nil . "coderd-mode is off here"))
           ((coderd-jsonrpc--connection))
           ((bound-and-true-p coderd-jsonrpc--starting) 'starting)
           (t (cons nil (coderd-jsonrpc--why-not)))))))

(defun coderd-status ()
  "Show the server's state, its last completion's latency and recent notices."
  (interactive)
  (let* ((conn (coderd-status--connection))
         (status (and conn (not (consp conn)) (not (eq conn 'starting))
                      (condition-case err
                          (jsonrpc-request conn :coderd/status nil :timeout 5)
                        (jsonrpc-error (setq conn (cons nil (error-message-string err))) nil))))
         (ms (plist-get (plist-get status :last) :total_ms))
         (line (if status
                   (format "coderd %s: %s, model %s%s" (plist-get status :version)
                           (plist-get status :state) (or (plist-get status :model) "-")
                           (if (numberp ms) (format ", last completion %.0f ms" ms) ""))
                 (if (eq conn 'starting)
                     "coderd: starting (the daemon and the model load in the background)"
                   (format "No coderd server for this buffer (%s)" (cdr conn))))))
    (let ((notices (remove (cdr-safe conn) (coderd-log-recent))))
      (message "%s" (string-join (cons line (and notices
                                                 (cons "Recent notices (all in *coderd*):"
                                                       (mapcar (lambda (n) (concat "  " n))
                                                               notices))))
                                 "\n")))))

(provide 'coderd-status)
;;; coderd-status.el ends here
