;;; coderd-log.el --- coderd.el's log buffer and once-only notices  -*- lexical-binding: t; -*-

;;; Commentary:

;; What the server or coderd.el has to say never interrupts typing:
;; every notice goes to the `*coderd*' buffer (with the time), and the
;; echo area shows each distinct text once per Emacs session, with
;; `message' (which never waits for a key).  A daemon that restarts
;; sends its warnings again; they are logged, not shown again.
;; `coderd-status' repeats the last few notices.

;;; Code:

(require 'cl-lib)

(defvar coderd-log--shown (make-hash-table :test #'equal)
  "Notices already shown in the echo area this Emacs session.")

(defvar coderd-log--recent nil
  "The last distinct notices, newest first (for `coderd-status').")

(defconst coderd-log--recent-max 3 "How many notices `coderd-status' repeats.")

(defconst coderd-log-buffer "*coderd*" "Name of the log buffer.")

(defun coderd-log (format-string &rest args)
  "Append FORMAT-STRING formatted with ARGS to the `*coderd*' buffer."
  (with-current-buffer (get-buffer-create coderd-log-buffer)
    (let ((inhibit-read-only t))
      (goto-char (point-max))
      (insert (format-time-string "%H:%M:%S ") (apply #'format format-string args) "\n"))))

(defun coderd-log-notice (text)
  "Log TEXT; show it in the echo area unless it was shown before this session.
Returns non-nil when it was shown."
  (coderd-log "%s" text)
  (unless (gethash text coderd-log--shown)
    (puthash text t coderd-log--shown)
    (let ((recent (cons text (delete text coderd-log--recent))))
      (setq coderd-log--recent (cl-subseq recent 0 (min coderd-log--recent-max (length recent)))))
    (message "%s" text)
    t))

(defun coderd-log-recent ()
  "The last distinct notices, newest first."
  coderd-log--recent)

(defun coderd-log-server-message (params)
  "Handle a `window/showMessage' (or `showMessageRequest') with PARAMS.
Errors (type 1) and warnings (2) are notices; info and log lines only go
to the log buffer."
  (let ((text (format "%s" (plist-get params :message)))
        (type (plist-get params :type)))
    (if (memq type '(1 2))
        (coderd-log-notice text)
      (coderd-log "%s" text))))

(provide 'coderd-log)
;;; coderd-log.el ends here
